# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsCircuitOpening(models.Model):
    """One row each time an endpoint's circuit breaker opens (for the KPI history)."""

    _name = "logistics.circuit.opening"
    _description = "Logistics Sync Circuit Opening"
    _order = "opened_at desc"
    _rec_name = "endpoint_id"

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="endpoint_id.company_id", store=True)
    opened_at = fields.Datetime(string="Opened", required=True, index=True, readonly=True)
    error = fields.Char(readonly=True)
