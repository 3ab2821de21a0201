from . import (
    delivery_carrier,
    logistics_carrier_booking,
    logistics_endpoint,
    logistics_rate_rule,
    sale_order,
    stock_picking,
)
