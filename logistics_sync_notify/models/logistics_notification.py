# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The record of every customer notification a transfer triggered: sent, to whom,
by which channel, or why not."""

from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

from ..lib import kinds

_lt = LazyTranslate(__name__)

REASONS = {
    "stale": _lt("The shipment had moved past it when the message was due."),
    "already_sent": _lt("The customer was already told."),
    "merged": _lt("Folded into the message sent at the same time."),
    "opted_out": _lt("The customer opted out of this channel."),
    "no_partner": _lt("The transfer has no customer."),
    "no_email": _lt("The customer has no email address."),
    "invalid_email": _lt("The customer's email address is not valid."),
    "render_failed": _lt("The template could not be rendered."),
    "no_template": _lt("No template is set for this notification."),
}


class LogisticsNotification(models.Model):
    _name = "logistics.notification"
    _description = "Customer notification of a transfer"
    _order = "id desc"
    _check_company_auto = True

    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="picking_id.company_id", string="Company", store=True, index=True
    )
    kind = fields.Selection(
        [(kind, kind.replace("_", " ").capitalize()) for kind in kinds.KINDS],
        string="Notification",
        required=True,
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("digest", "In the next digest"),
            ("skipped", "Skipped"),
        ],
        string="Status",
        required=True,
        default="pending",
        index=True,
    )
    channel = fields.Selection(
        [("email", "Email"), ("digest", "Daily digest")],
        string="Channel",
        help="How the customer was told.",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index="btree_not_null")
    recipient = fields.Char(string="Sent to", help="The address the message went to.")
    reason_code = fields.Char(string="Reason code", readonly=True)
    reason = fields.Char(string="Why", help="What triggered it, or why nothing was sent for it.")
    event_id = fields.Many2one(
        "logistics.event", string="Event", ondelete="set null", help="The event that triggered it."
    )
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null", readonly=True)
    sent_at = fields.Datetime(string="Sent at", readonly=True)

    @api.model
    def _reason_text(self, code, detail=None):
        text = str(REASONS[code]) if code in REASONS else code
        return f"{text} {detail}" if detail else text
