# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsFreightExpectedLine(models.Model):
    _name = "logistics.freight.expected.line"
    _description = "Logistics Sync Freight Expected Cost Line"
    _order = "expected_id, id"

    expected_id = fields.Many2one(
        "logistics.freight.expected",
        required=True,
        ondelete="cascade",
        index=True,
        string="Expected cost",
    )
    company_id = fields.Many2one(
        related="expected_id.company_id", store=True, index=True, string="Company"
    )
    picking_id = fields.Many2one(
        related="expected_id.picking_id", store=True, index=True, string="Transfer"
    )
    currency_id = fields.Many2one(related="expected_id.currency_id", string="Currency")
    company_currency_id = fields.Many2one(
        related="expected_id.company_currency_id", string="Company currency"
    )
    charge_type_id = fields.Many2one(
        "logistics.freight.charge.type", string="Charge type", required=True
    )
    amount = fields.Monetary(required=True, string="Amount")
    amount_company = fields.Monetary(
        string="Amount (company currency)",
        currency_field="company_currency_id",
        help="Converted with the rate of the booking date, frozen.",
    )
