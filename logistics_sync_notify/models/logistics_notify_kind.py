# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..lib import kinds


class LogisticsNotifyKind(models.Model):
    _name = "logistics.notify.kind"
    _description = "Customer notification kind"
    _order = "sequence, id"

    name = fields.Char(string="Notification", required=True, translate=True)
    code = fields.Selection(
        [(kind, kind) for kind in kinds.KINDS],
        string="Code",
        required=True,
        readonly=True,
        help="The milestone family this notification is sent for.",
    )
    sequence = fields.Integer(string="Sequence", default=10)
    template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain=[("model", "=", "stock.picking")],
        help="The email sent to the customer (rendered in the customer's language).",
    )

    _sql_constraints = [("code_unique", "UNIQUE(code)", "One notification kind per code.")]
