# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class LogisticsEndpoint(models.Model):
    _name = "logistics.endpoint"
    _inherit = ["logistics.endpoint", "logistics.notify.policy.mixin"]
