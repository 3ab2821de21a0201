# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsFreightTolerance(models.Model):
    _name = "logistics.freight.tolerance"
    _description = "Logistics Sync Freight Tolerance Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, string="Name")
    sequence = fields.Integer(default=10, string="Sequence")
    active = fields.Boolean(default=True, string="Active")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        string="Company",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Carrier", check_company=True, help="Empty: every carrier."
    )
    charge_type_id = fields.Many2one(
        "logistics.freight.charge.type", string="Charge type", help="Empty: every type."
    )
    origin_country_id = fields.Many2one("res.country", string="Origin country")
    dest_country_id = fields.Many2one("res.country", string="Destination country")
    amount = fields.Float(
        string="Tolerance (amount)",
        help="Largest overcharge approved, in the company's currency (0: not set).",
    )
    percent = fields.Float(
        string="Tolerance (%)",
        help="Largest overcharge approved, in percent of the expected "
        "cost (0: not set). When both are set, a charge must be within both.",
    )
    allow_accessorial = fields.Boolean(
        help="Approve this accessorial even when the expected cost has no line of its type.",
        string="Allow the accessorial",
    )

    @api.model
    def _rules_by_company(self, company_ids):
        """{company id: [rule dict]} for ``lib.audit.best_rule``, in sequence order."""
        result = {company_id: [] for company_id in company_ids}
        for rule in self.search([("company_id", "in", list(company_ids))]):
            result[rule.company_id.id].append(
                {
                    "id": rule.id,
                    "partner_id": rule.partner_id.id,
                    "charge_type_id": rule.charge_type_id.id,
                    "origin_country_id": rule.origin_country_id.id,
                    "dest_country_id": rule.dest_country_id.id,
                    "amount": rule.amount,
                    "percent": rule.percent,
                    "allow_accessorial": rule.allow_accessorial,
                }
            )
        return result
