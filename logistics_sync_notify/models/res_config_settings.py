# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_notify_kind_ids = fields.Many2many(
        related="company_id.logistics_notify_kind_ids",
        readonly=False,
        string="Customer notifications",
    )
    logistics_notify_debounce_seconds = fields.Integer(
        related="company_id.logistics_notify_debounce_seconds",
        readonly=False,
        string="Notification delay (seconds)",
    )
