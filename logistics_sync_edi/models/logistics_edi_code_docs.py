# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsEdiCode(models.Model):
    """The code lists of the business documents (a partner's own codes, no code)."""

    _inherit = "logistics.edi.code"

    list_name = fields.Selection(
        selection_add=[
            ("x12_210_charge", "210 charge codes (L1-08) to charge types"),
            ("x12_unit", "Units of measure (Odoo unit name) to X12 unit codes"),
            ("edifact_status", "IFTSTA status codes (STS C555) to milestones"),
        ],
        ondelete={
            "x12_210_charge": "cascade",
            "x12_unit": "cascade",
            "edifact_status": "cascade",
        },
    )
