from . import (
    logistics_endpoint,
    logistics_event,
    logistics_tms_release,
    logistics_tms_release_sync,
    logistics_tms_route,
    product_product,
    queue_job,
    res_partner,
    sale_order,
    stock_move,
    stock_picking,
)
