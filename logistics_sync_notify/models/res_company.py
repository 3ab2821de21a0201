# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    logistics_notify_kind_ids = fields.Many2many(
        "logistics.notify.kind",
        "res_company_logistics_notify_kind_rel",
        "company_id",
        "kind_id",
        string="Customer notifications",
        help="Which milestones email the customer, unless the delivery method or the "
        "endpoint that reported the milestone says otherwise.",
    )
    logistics_notify_debounce_seconds = fields.Integer(
        string="Notification delay (seconds)",
        default=300,
        help="Milestones of one transfer within this delay give one message, with the "
        "latest state.",
    )
