# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsNotifyPolicy(models.AbstractModel):
    """Which milestones email the customer, on a record that may override the
    company's settings (an endpoint, a delivery method)."""

    _name = "logistics.notify.policy.mixin"
    _description = "Customer notification policy"

    logistics_notify_policy = fields.Selection(
        [
            ("company", "As the company"),
            ("custom", "These notifications"),
            ("none", "None"),
        ],
        string="Customer notifications",
        default="company",
        required=True,
        help="Which milestones email the customer: those of the company's settings, a "
        "list of its own, or none. A delivery method's own list wins over an "
        "endpoint's.",
    )
    logistics_notify_kind_ids = fields.Many2many(
        "logistics.notify.kind",
        string="Notifications sent",
        help="Used when Customer notifications is set to its own list.",
    )
