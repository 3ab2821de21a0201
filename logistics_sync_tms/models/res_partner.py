# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

ADDRESS = frozenset({"street", "street2", "city", "zip", "country_id", "state_id", "name"})


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        res = super().write(vals)
        if ADDRESS.intersection(vals):
            # an address fixed or changed: open releases to it follow (a blocked one
            # is released)
            self.env["stock.picking"]._tms_touch_partners(self)
        return res
