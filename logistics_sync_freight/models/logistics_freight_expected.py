# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsFreightExpected(models.Model):
    """What a transfer's freight should cost, frozen when it is booked or released.

    Sources, in order (``stock.picking._freight_expected_cost_sources``): the
    carrier's booking answer, the delivery method's rate; other addons (the TMS's
    planned cost) add theirs. Amounts are kept in the source's currency and in
    the company's, converted with Odoo's rates at the booking date.
    """

    _name = "logistics.freight.expected"
    _description = "Logistics Sync Freight Expected Cost"
    _order = "id desc"
    _rec_name = "picking_id"
    _check_company_auto = True

    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        string="Company",
    )
    currency_id = fields.Many2one("res.currency", required=True, string="Currency")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company currency"
    )
    date = fields.Date(string="Booking date", required=True)
    source = fields.Selection(
        [
            ("tms", "TMS planned cost"),
            ("booking", "Carrier booking"),
            ("rate", "Carrier rate"),
            ("manual", "Manual"),
        ],
        required=True,
        string="Source",
        help="Where the expected cost came from: the TMS's planned cost, the carrier's booking "
        "price, the delivery method's rate, or entered by hand.",
    )
    line_ids = fields.One2many("logistics.freight.expected.line", "expected_id", string="Lines")
    amount_total = fields.Monetary(compute="_compute_totals", store=True, string="Total")
    amount_company = fields.Monetary(
        string="Total (company currency)",
        compute="_compute_totals",
        store=True,
        currency_field="company_currency_id",
    )

    _sql_constraints = [
        ("picking_unique", "unique(picking_id)", "A transfer has one expected cost."),
    ]

    @api.depends("line_ids.amount", "line_ids.amount_company")
    def _compute_totals(self):
        for expected in self:
            expected.amount_total = sum(expected.line_ids.mapped("amount"))
            expected.amount_company = sum(expected.line_ids.mapped("amount_company"))

    @api.model
    def _freeze(self, picking, values):
        """Store ``values`` (a source's answer: currency, date, source, lines
        [(charge type, amount)]) as ``picking``'s expected cost, converted to the
        company's currency at the booking date. Frozen: an existing one is kept."""
        if self.search_count([("picking_id", "=", picking.id)]):
            return self.search([("picking_id", "=", picking.id)])
        company = picking.company_id
        currency, day = values["currency"], values["date"]
        lines = []
        for charge_type, amount in values["lines"]:
            lines.append(
                fields.Command.create(
                    {
                        "charge_type_id": charge_type.id,
                        "amount": amount,
                        "amount_company": currency._convert(
                            amount, company.currency_id, company, day
                        ),
                    }
                )
            )
        return self.create(
            {
                "picking_id": picking.id,
                "company_id": company.id,
                "currency_id": currency.id,
                "date": day,
                "source": values["source"],
                "line_ids": lines,
            }
        )
