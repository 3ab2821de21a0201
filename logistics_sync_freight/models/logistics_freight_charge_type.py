# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsFreightChargeType(models.Model):
    _name = "logistics.freight.charge.type"
    _description = "Logistics Sync Freight Charge Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, string="Name")
    code = fields.Char(
        required=True,
        help="What carriers send in a charge line's type (event or CSV).",
        string="Code",
    )
    sequence = fields.Integer(default=10, string="Sequence")
    active = fields.Boolean(default=True, string="Active")
    accessorial = fields.Boolean(
        help="An extra service (liftgate, residential, waiting time): disputed when "
        "the expected cost has no line of this type, unless a tolerance rule allows it.",
        string="Accessorial",
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        domain=[("type", "=", "service")],
        help="The product of this type's lines on vendor bills and accruals (its "
        "expense account).",
        string="Product",
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "A charge type code must be unique."),
    ]
