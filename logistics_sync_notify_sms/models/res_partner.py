# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    logistics_notify_sms_optout = fields.Boolean(
        string="No shipment text messages",
        help="This contact asked not to receive shipment notifications by text message.",
    )

    def _logistics_sms_number(self):
        """(E.164 number, None) or (None, reason code)."""
        self.ensure_one()
        if self.logistics_notify_sms_optout:
            return None, "opted_out"
        raw = self.mobile or self.phone
        if not raw:
            return None, "no_mobile"
        number = self._phone_format(number=raw, force_format="E164")
        return (number, None) if number else (None, "invalid_mobile")
