# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsFreightAdjust(models.TransientModel):
    """Short-pay a disputed charge, or credit a billed one."""

    _name = "logistics.freight.adjust"
    _description = "Logistics Sync Freight Charge Adjustment"

    charge_id = fields.Many2one(
        "logistics.freight.charge", required=True, ondelete="cascade", string="Charge"
    )
    mode = fields.Selection(
        [("short_pay", "Approve a part (short pay)"), ("credit", "Credit after billing")],
        required=True,
        string="Adjustment",
    )
    currency_id = fields.Many2one(related="charge_id.currency_id", string="Currency")
    charged = fields.Monetary(related="charge_id.amount", string="Charged")
    amount = fields.Monetary(
        required=True,
        help="Short pay: the part approved. Credit: the amount credited.",
        string="Amount",
    )
    reason = fields.Char(string="Reason", help="Kept on the charge's bill or credit note line.")

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "short_pay":
            self.charge_id._freight_short_pay(self.amount)
        else:
            self.charge_id._freight_credit(self.amount, self.reason or self.env._("Carrier credit"))
        return {"type": "ir.actions.act_window_close"}
