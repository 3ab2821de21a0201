# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsEventDiscard(models.TransientModel):
    _name = "logistics.event.discard"
    _description = "Logistics Sync: discard dead letters with a reason"

    event_ids = fields.Many2many(
        "logistics.event",
        string="Events",
        default=lambda self: self.env.context.get("active_ids"),
        required=True,
    )
    reason = fields.Text(required=True)

    def action_discard(self):
        self.ensure_one()
        self.event_ids._discard(self.reason)
        return {"type": "ir.actions.act_window_close"}
