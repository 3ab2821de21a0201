# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..lib import milestones


class LogisticsStatusMap(models.Model):
    _name = "logistics.status.map"
    _description = "Logistics Sync Status Mapping"
    _order = "endpoint_id, sequence, id"

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    source_code = fields.Char(
        string="Sender's status",
        required=True,
        help="The code as the sender writes it; * stands for every code the table does not list.",
    )
    milestone = fields.Selection(milestones.SELECTION, required=True)
    description = fields.Char()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    _sql_constraints = [
        (
            "code_unique",
            "unique(endpoint_id, source_code)",
            "Each status code of the sender maps to one milestone.",
        )
    ]
