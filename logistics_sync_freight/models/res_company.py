# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    logistics_freight_journal_id = fields.Many2one(
        "account.journal",
        string="Freight bills journal",
        check_company=True,
        domain=[("type", "=", "purchase")],
        help="The purchase journal of the vendor bills of carrier charges, unless the "
        "carrier's endpoint sets its own. Empty: charges are not billed (an activity "
        "says so).",
    )
    logistics_freight_accrual_journal_id = fields.Many2one(
        "account.journal",
        string="Freight accrual journal",
        check_company=True,
        domain=[("type", "=", "general")],
        help="The miscellaneous journal of period-end freight accruals and their "
        "reversals (with the Expense Accrual Account). Empty: no accrual (an activity "
        "says so).",
    )
