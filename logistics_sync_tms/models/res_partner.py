# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .stock_warehouse import check_hours

ADDRESS = frozenset({"street", "street2", "city", "zip", "country_id", "state_id", "name"})


class ResPartner(models.Model):
    _inherit = "res.partner"

    tms_delivery_hour_from = fields.Float(
        string="Receiving from",
        help="When this address receives deliveries, local time of its time zone (else "
        "the company's). With the closing hour, the delivery window sent to the TMS is "
        "those hours on the transfer's deadline. Empty: the company's (for a contact of "
        "a company), else the deadline plus the TMS endpoint's delivery window.",
    )
    tms_delivery_hour_to = fields.Float(
        string="Receiving until",
        help="The hour this address stops receiving deliveries, local time.",
    )

    @api.constrains("tms_delivery_hour_from", "tms_delivery_hour_to")
    def _check_tms_delivery_hours(self):
        for partner in self:
            check_hours(
                partner,
                partner.tms_delivery_hour_from,
                partner.tms_delivery_hour_to,
                self.env._("Receiving hours"),
            )

    def write(self, vals):
        res = super().write(vals)
        if ADDRESS.intersection(vals):
            # an address fixed or changed: open releases to it follow (a blocked one
            # is released)
            self.env["stock.picking"]._tms_touch_partners(self)
        return res
