from . import (
    logistics_circuit_opening,
    logistics_endpoint,
    logistics_metrics_token,
    logistics_sync_alert,
    logistics_sync_alert_rule,
    logistics_sync_kpi,
    logistics_sync_metrics,
    stock_picking,
)
