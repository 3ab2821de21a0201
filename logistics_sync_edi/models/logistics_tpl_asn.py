# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Advance ship notices to a customer whose ASN endpoint exchanges files: an 856
(X12) or a DESADV (EDIFACT) built from the 3PL addon's notice (the same data as its
JSON ASN, SSCC-18 included), recorded as an outbound exchange and handed to the
endpoint's file channel.  A notice the document cannot carry is *Failed* with an
activity, as a refused JSON notice is."""

import json

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib import edifact, maps_tpl


class LogisticsTplAsn(models.Model):
    _inherit = "logistics.tpl.asn"

    def _tpl_asn_send(self):
        endpoint = self.endpoint_id
        standard = endpoint._edi_standard()
        if not standard:
            return super()._tpl_asn_send()
        if self.state == "sent":
            return "sent already"
        asn = json.loads(self.payload)
        Exchange = self.env["logistics.edi.exchange"]
        try:
            with self.env.cr.savepoint():
                if standard == "x12":
                    units = maps_tpl.UNIT_CODES | endpoint._edi_codes("x12_unit")
                    exchange = Exchange._edi_send_x12(
                        endpoint, "856", [maps_tpl.asn_values(asn, units=units)], record=self
                    )
                else:
                    exchange = Exchange._edi_send_edifact(
                        endpoint,
                        "DESADV",
                        lambda reference: [edifact.desadv_message(asn, reference)],
                        record=self,
                    )
        except (UserError, ValueError) as exc:
            message = str(exc)
            self.write({"state": "failed", "last_error": message})
            self.picking_id.sudo().activity_schedule(
                "logistics_sync_base.mail_activity_logistics_exception",
                summary=self.env._("ASN refused: %(ref)s", ref=self.name),
                note=message,
                user_id=endpoint._responsible_users()[:1].id,
            )
            return message
        self.write({"state": "sent", "sent_at": fields.Datetime.now(), "last_error": False})
        self.picking_id.sudo().message_post(
            body=self.env._(
                "Advance ship notice sent to %(to)s as %(doc)s.",
                to=endpoint.name,
                doc=exchange.sudo().name,
            )
        )
        return f"sent as {exchange.sudo().name}"
