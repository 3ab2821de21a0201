# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsTplDiscrepancyDismiss(models.TransientModel):
    _name = "logistics.tpl.discrepancy.dismiss"
    _description = "Dismiss 3PL stock discrepancies"

    discrepancy_ids = fields.Many2many("logistics.tpl.discrepancy", string="Discrepancies")
    reason = fields.Text(string="Reason", required=True)

    def action_confirm(self):
        self.ensure_one()
        self.discrepancy_ids._dismiss(self.reason)
        return {"type": "ir.actions.act_window_close"}
