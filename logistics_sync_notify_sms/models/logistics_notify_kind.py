# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsNotifyKind(models.Model):
    _inherit = "logistics.notify.kind"

    sms_enabled = fields.Boolean(
        string="Also by text message",
        help="Customers with a valid mobile number also get this notification by SMS "
        "(Odoo's SMS queue, IAP credits).",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS template",
        domain=[("model", "=", "stock.picking")],
        help="The text message sent (rendered in the customer's language).",
    )
