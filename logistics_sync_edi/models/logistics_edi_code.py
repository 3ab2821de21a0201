# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsEdiCode(models.Model):
    """One line of a partner's code list: the partner's code and what it means here."""

    _name = "logistics.edi.code"
    _description = "Logistics Sync EDI Code List Entry"
    _order = "endpoint_id, list_name, partner_code, id"

    endpoint_id = fields.Many2one(
        "logistics.endpoint", string="Partner", required=True, ondelete="cascade", index=True
    )
    list_name = fields.Selection(
        [
            ("x12_214_status", "214 shipment status (AT7-01)"),
            ("x12_214_reason", "214 status reason (AT7-02)"),
        ],
        string="Code list",
        required=True,
        help="Which element the codes come from. Other addons add their lists (990 "
        "responses, 210 charge codes...).",
    )
    partner_code = fields.Char(
        string="Partner's code", required=True, help="The code as the partner sends it."
    )
    canonical_value = fields.Char(
        string="Canonical value",
        required=True,
        help="What it means here: a milestone for 214 statuses (picked_up, in_transit, "
        "delivered...), a reason text for 214 reasons.",
    )
    description = fields.Char(string="Description", help="The code's meaning in the guide.")

    _sql_constraints = [
        (
            "code_unique",
            "unique(endpoint_id, list_name, partner_code)",
            "A partner's code appears once in each of its code lists.",
        )
    ]
