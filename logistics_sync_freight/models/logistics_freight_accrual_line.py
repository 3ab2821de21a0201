# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsFreightAccrualLine(models.Model):
    """One transfer's expected cost of one charge type in a period-end accrual: the
    accrual report (what was accrued per carrier, and why)."""

    _name = "logistics.freight.accrual.line"
    _description = "Logistics Sync Freight Accrual Line"
    _order = "accrual_id desc, carrier_id, picking_id, id"
    _check_company_auto = True

    accrual_id = fields.Many2one(
        "logistics.freight.accrual",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
        string="Accrual",
    )
    company_id = fields.Many2one(
        related="accrual_id.company_id", store=True, index=True, string="Company"
    )
    period_end = fields.Date(related="accrual_id.period_end", store=True, string="Period end")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    picking_id = fields.Many2one("stock.picking", string="Transfer", readonly=True)
    date_done = fields.Datetime(related="picking_id.date_done", string="Done on")
    carrier_id = fields.Many2one("delivery.carrier", string="Carrier", readonly=True)
    charge_type_id = fields.Many2one(
        "logistics.freight.charge.type", string="Charge type", readonly=True
    )
    source = fields.Selection(
        [
            ("tms", "TMS planned cost"),
            ("booking", "Carrier booking"),
            ("rate", "Carrier rate"),
            ("manual", "Manual"),
        ],
        readonly=True,
        string="Expected cost from",
        help="Where the expected cost came from: the TMS's planned cost, the carrier's booking "
        "price, the delivery method's rate, or entered by hand.",
    )
    amount = fields.Monetary(
        readonly=True,
        string="Accrued",
        help="The transfer's expected cost not billed by the period end, in the company's "
        "currency.",
    )
    reason = fields.Char(readonly=True, help="Why this amount was accrued.", string="Reason")
