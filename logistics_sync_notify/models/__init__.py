# the mixin first: the models below inherit it
# isort: split
from . import logistics_notify_policy

# isort: split
from . import (
    delivery_carrier,
    logistics_endpoint,
    logistics_notification,
    logistics_notify_kind,
    res_company,
    res_config_settings,
    res_partner,
    stock_picking,
    stock_picking_portal,
)
