from . import logistics_endpoint, logistics_event, res_config_settings, stock_picking
