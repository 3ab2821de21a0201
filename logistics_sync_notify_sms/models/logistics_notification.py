# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools.translate import LazyTranslate

from odoo.addons.logistics_sync_notify.models.logistics_notification import REASONS

_lt = LazyTranslate(__name__)

REASONS.update(
    {
        "no_mobile": _lt("The customer has no mobile number."),
        "invalid_mobile": _lt("The customer's mobile number is not valid."),
    }
)


class LogisticsNotification(models.Model):
    _inherit = "logistics.notification"

    channel = fields.Selection(
        selection_add=[("sms", "Text message")], ondelete={"sms": "set null"}
    )
    sms_id = fields.Many2one("sms.sms", string="Text message", ondelete="set null", readonly=True)
