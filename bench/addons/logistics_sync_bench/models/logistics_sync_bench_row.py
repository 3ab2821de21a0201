# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsSyncBenchRow(models.Model):
    _name = "logistics.sync.bench.row"
    _description = "Logistics Sync benchmark row"

    payload = fields.Text()
