from . import logistics_sync_alert_rule
