from . import logistics_metrics_token_new
