# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    logistics_endpoint,
    logistics_event,
    logistics_tpl_asn,
    logistics_tpl_discrepancy,
    logistics_tpl_inbound_asn,
    logistics_tpl_inbound_asn_line,
    logistics_tpl_package,
    logistics_tpl_release,
    logistics_tpl_release_confirm,
    logistics_tpl_release_sync,
    logistics_tpl_snapshot,
    res_company,
    res_partner,
    stock_move,
    stock_picking,
    stock_warehouse,
)
