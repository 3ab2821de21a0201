from . import logistics_endpoint
from . import logistics_event
from . import stock_picking
from . import res_config_settings
