from . import (
    ir_http,
    logistics_endpoint,
    logistics_event,
    res_config_settings,
    stock_picking,
)
