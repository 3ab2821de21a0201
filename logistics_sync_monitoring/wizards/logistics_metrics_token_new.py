# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsMetricsTokenNew(models.TransientModel):
    """Create a metrics token and show it once (as Odoo's API key wizard does)."""

    _name = "logistics.metrics.token.new"
    _description = "New Logistics Sync Metrics Token"

    name = fields.Char(required=True)
    token = fields.Char(readonly=True, groups="base.group_system")

    def action_create(self):
        self.ensure_one()
        _record, plain = self.env["logistics.metrics.token"]._generate(self.name)
        self.token = plain
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "context": {"token_shown": True},
        }
