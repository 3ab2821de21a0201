# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    logistics_freight_charge_id = fields.Many2one(
        "logistics.freight.charge",
        string="Freight charge",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
