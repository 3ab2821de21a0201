# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    logistics_endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Logistics Sync endpoint",
        domain="[('kind', '=', 'carrier')]",
        check_company=True,
        help="The carrier's endpoint: its webhooks update transfers shipped with this carrier.",
    )
    logistics_event_count = fields.Integer(compute="_compute_logistics_event_count")

    def _compute_logistics_event_count(self):
        counts = dict(
            self.env["logistics.event"]._read_group(
                [("endpoint_id", "in", self.logistics_endpoint_id.ids)],
                ["endpoint_id"],
                ["__count"],
            )
        )
        for carrier in self:
            carrier.logistics_event_count = counts.get(carrier.logistics_endpoint_id, 0)
