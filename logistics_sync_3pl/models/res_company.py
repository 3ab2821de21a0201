# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    tpl_gs1_prefix = fields.Char(
        string="GS1 company prefix",
        help="7 to 10 digits assigned by GS1: the SSCC-18 of the packages of advance ship "
        "notices are built from it (when the 3PL gave none).",
    )

    @api.constrains("tpl_gs1_prefix")
    def _check_tpl_gs1_prefix(self):
        for company in self:
            prefix = company.tpl_gs1_prefix
            if prefix and not (prefix.isdigit() and 7 <= len(prefix) <= 10):
                raise ValidationError(self.env._("The GS1 company prefix is 7 to 10 digits."))
