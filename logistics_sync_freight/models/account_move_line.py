# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    logistics_freight_charge_id = fields.Many2one(
        "logistics.freight.charge",
        string="Freight charge",
        readonly=True,
        copy=False,
    )

    # the guarantee that a charge is never billed twice: it is on one bill line at most
    _sql_constraints = [
        (
            "logistics_freight_charge_unique",
            "unique(logistics_freight_charge_id)",
            "A freight charge is billed on one line only.",
        )
    ]
