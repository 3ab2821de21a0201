# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_freight_journal_id = fields.Many2one(
        related="company_id.logistics_freight_journal_id",
        readonly=False,
        string="Freight bills journal",
    )
    logistics_freight_accrual_journal_id = fields.Many2one(
        related="company_id.logistics_freight_accrual_journal_id",
        readonly=False,
        string="Freight accrual journal",
    )
    logistics_freight_expense_accrual_account_id = fields.Many2one(
        related="company_id.expense_accrual_account_id",
        readonly=False,
        string="Accrued expense account",
    )
