# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""3PL events through base's webhook pipeline (signature, dedup, order, dead letters):

- ``tpl_shipping_confirmation`` / ``tpl_receipt_confirmation``: applied to the
  document named by ``shipment_ref`` (``logistics_tpl_release_confirm.py``); a
  document unknown to the endpoint that signed the event is a dead letter at
  once (a confirmation never waits for a transfer to appear);
- ``tpl_stock_snapshot``: a reconciliation (``logistics_tpl_snapshot.py``);
- ``tpl_inbound_asn``: a supplier's advance ship notice attached to its receipt
  (``logistics_tpl_inbound_asn.py``).
"""

from odoo import fields, models

from ..lib import documents
from odoo.addons.logistics_sync_base.lib.errors import PermanentEventError

CONFIRMATIONS = {
    "tpl_shipping_confirmation": "shipping_order",
    "tpl_receipt_confirmation": "receipt_advice",
}


class LogisticsEvent(models.Model):
    _inherit = "logistics.event"

    event_type = fields.Selection(
        selection_add=[
            ("tpl_shipping_confirmation", "3PL shipping confirmation"),
            ("tpl_receipt_confirmation", "3PL receipt confirmation"),
            ("tpl_stock_snapshot", "3PL stock snapshot"),
            ("tpl_inbound_asn", "Supplier advance ship notice"),
        ],
        ondelete={
            "tpl_shipping_confirmation": "cascade",
            "tpl_receipt_confirmation": "cascade",
            "tpl_stock_snapshot": "cascade",
            "tpl_inbound_asn": "cascade",
        },
    )

    def _event_type_schemas(self):
        return dict(
            super()._event_type_schemas(),
            tpl_shipping_confirmation=documents.SHIPPING_CONFIRMATION,
            tpl_receipt_confirmation=documents.RECEIPT_CONFIRMATION,
            tpl_stock_snapshot=documents.STOCK_SNAPSHOT,
            tpl_inbound_asn=documents.INBOUND_ASN,
        )

    def _process_one(self, picking, now):
        if self.event_type == "tpl_stock_snapshot":
            data = self._typed_payload()
            self.env["logistics.tpl.snapshot"]._tpl_from_event(self, data)
            outcome, picking = "applied", False
        elif self.event_type == "tpl_inbound_asn":
            outcome, picking = self.env["logistics.tpl.inbound.asn"]._tpl_from_event(
                self, self._typed_payload()
            )
        elif self.event_type in CONFIRMATIONS:
            outcome, picking = self._tpl_process_confirmation(now)
        else:
            return super()._process_one(picking, now)
        if outcome == "superseded":
            self._set_processing(
                {"state": "superseded", "picking_id": picking.id, "processed_at": now}
            )
        elif outcome == "applied":
            self._set_processing(
                {
                    "state": "applied",
                    "picking_id": picking.id if picking else False,
                    "processed_at": now,
                    "applied_at": self._applied_now(),
                    "wait_reason": False,
                    "wait_until": False,
                }
            )
        return None

    def _tpl_process_confirmation(self, now):
        data = self._typed_payload()
        expected = CONFIRMATIONS[self.event_type]
        # sudo: the pipeline's own records; the document must belong to the endpoint
        # whose secret signed this event
        release = (
            self.env["logistics.tpl.release"]
            .sudo()
            .search(
                [("endpoint_id", "=", self.endpoint_id.id), ("name", "=", self.shipment_ref)],
                order="id desc",
                limit=1,
            )
        )
        if not release or release.document_type != expected:
            raise PermanentEventError(
                self.env._(
                    "%(type)s for %(ref)s: no such %(doc)s was sent to %(endpoint)s.",
                    type=self.event_type,
                    ref=self.shipment_ref,
                    doc=expected.replace("_", " "),
                    endpoint=self.endpoint_id.name,
                )
            )
        return release._tpl_confirm(self, data, now), release.picking_id
