from . import (
    ir_http,
    logistics_endpoint,
    logistics_endpoint_circuit,
    logistics_endpoint_inbound,
    logistics_endpoint_outbound,
    logistics_event,
    logistics_event_ingest,
    logistics_event_processing,
    logistics_rate_hit,
    logistics_status_map,
    res_config_settings,
    stock_picking,
)
