# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError

from ..models.logistics_freight_accrual import month_end


def _last_month(wizard):
    today = fields.Date.context_today(wizard)
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


class LogisticsFreightAccrue(models.TransientModel):
    """Accrue the freight of a chosen month (the cron accrues last month)."""

    _name = "logistics.freight.accrue"
    _description = "Logistics Sync Freight Accrual of a Month"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, string="Company"
    )
    month = fields.Date(
        required=True,
        default=_last_month,
        help="Any day of the month to accrue: its last day is the accrual's date, the "
        "first day of the next month the reversal's.",
        string="Month",
    )

    def action_accrue(self):
        self.ensure_one()
        last = month_end(self.month)
        if last >= fields.Date.context_today(self):
            raise UserError(self.env._("The month ending %(day)s has not ended yet.", day=last))
        Accrual = self.env["logistics.freight.accrual"]
        accrual = Accrual._freight_accrue(self.company_id, last)
        if not accrual:
            raise UserError(
                self.env._(
                    "Nothing to accrue for %(company)s by %(day)s: every done transfer "
                    "with an expected cost is billed.",
                    company=self.company_id.name,
                    day=last,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": accrual._name,
            "res_id": accrual.id,
            "view_mode": "form",
        }
