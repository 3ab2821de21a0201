# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_sync_max_batch_size = fields.Integer(
        string="Max events per webhook request",
        config_parameter="logistics_sync.max_batch_size",
        default=500,
    )
    logistics_sync_allow_http_loopback = fields.Boolean(
        string="Allow http:// to loopback (development)",
        config_parameter="logistics_sync.allow_http_loopback",
    )
    logistics_sync_runner_channels = fields.Char(
        string="Job runner channels",
        compute="_compute_logistics_sync_runner_channels",
        help="The channels option of the [queue_job] section of odoo.conf: one channel "
        "per endpoint with its capacity. Read when the job runner starts.",
    )

    # a dependency, so that the settings form (a new record) computes it too
    @api.depends("company_id")
    def _compute_logistics_sync_runner_channels(self):
        channels = self.env["logistics.endpoint"]._runner_channels()
        for settings in self:
            settings.logistics_sync_runner_channels = channels
