# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsFreightCharge(models.Model):
    _name = "logistics.freight.charge"
    _description = "Logistics Sync Freight Charge"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Carrier reference", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    endpoint_id = fields.Many2one("logistics.endpoint", check_company=True, index=True)
    picking_id = fields.Many2one("stock.picking", string="Transfer", check_company=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    amount_quoted = fields.Monetary(string="Quoted", currency_field="currency_id")
    amount_billed = fields.Monetary(string="Billed", currency_field="currency_id")
    variance = fields.Monetary(
        compute="_compute_variance", store=True, currency_field="currency_id"
    )
    move_id = fields.Many2one("account.move", string="Vendor bill", check_company=True)
    state = fields.Selection(
        [("draft", "To reconcile"), ("matched", "Matched"), ("disputed", "Disputed")],
        default="draft",
        required=True,
        tracking=True,
    )

    @api.depends("amount_quoted", "amount_billed")
    def _compute_variance(self):
        for charge in self:
            charge.variance = charge.amount_billed - charge.amount_quoted

    def action_match(self):
        """Mark charges billed within a cent of the quote as matched, the others disputed."""
        for charge in self:
            same = charge.currency_id.is_zero(charge.variance)
            charge.state = "matched" if same else "disputed"
