# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..lib.rate_shopping import STRATEGIES


class LogisticsRateRule(models.Model):
    """How a sale order's carrier is chosen among the quotes (rate shopping),
    per destination: the first rule (by sequence) whose countries hold the
    delivery address, else the company's rule without countries."""

    _name = "logistics.rate.rule"
    _description = "Logistics Sync Rate Shopping Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(string="Name", required=True)
    sequence = fields.Integer(string="Sequence", default=10)
    active = fields.Boolean(string="Active", default=True)
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, default=lambda self: self.env.company
    )
    country_ids = fields.Many2many(
        "res.country",
        string="Destination countries",
        help="The rule applies to deliveries to these countries; empty: to every country.",
    )
    strategy = fields.Selection(
        [(s, s.capitalize()) for s in STRATEGIES],
        string="Choose",
        default="cheapest",
        required=True,
        help="Cheapest: the lowest price. Fastest: the fewest transit days. Preferred: the "
        "preferred carrier when it quotes, else the cheapest. A quote of 0 or a carrier "
        "error is never chosen.",
    )
    carrier_ids = fields.Many2many(
        "delivery.carrier",
        string="Carriers asked",
        domain="[('delivery_type', '=', 'logistics_sync')]",
        help="The carriers asked for a quote; empty: every Logistics Sync carrier.",
    )
    preferred_carrier_id = fields.Many2one(
        "delivery.carrier",
        string="Preferred carrier",
        domain="[('delivery_type', '=', 'logistics_sync')]",
        help="With the Preferred rule: chosen whenever it gives a usable quote.",
    )

    @api.model
    def _for_partner(self, partner, company):
        rules = self.search([("company_id", "=", company.id)])
        country = partner.country_id
        for rule in rules:
            if not rule.country_ids or country in rule.country_ids:
                return rule
        return self.browse()
