from . import (
    delivery_carrier,
    logistics_carrier_booking,
    logistics_endpoint,
    logistics_endpoint_push,
    logistics_event,
    logistics_rate_rule,
    sale_order,
    stock_picking,
    stock_picking_push,
)
