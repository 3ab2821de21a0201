# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    tpl_endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Operated by",
        domain=[("kind", "=", "wms")],
        check_company=True,
        help="The 3PL that runs this warehouse: its deliveries and receipts are released to "
        "it as documents, and its confirmations validate them with the quantities it "
        "shipped or received.",
    )
    tpl_accuracy = fields.Float(
        string="Inventory accuracy (%)",
        readonly=True,
        help="Share of the lines of the last stock snapshot of the 3PL that matched Odoo.",
    )
    tpl_snapshot_at = fields.Datetime(string="Last 3PL snapshot", readonly=True)
