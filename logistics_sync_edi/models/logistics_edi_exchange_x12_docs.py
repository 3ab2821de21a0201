# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The business documents received as X12, each applied by the code that applies
the same document received as JSON or CSV:

- 945 warehouse shipping advice: the 3PL addon's ``tpl_shipping_confirmation``
  event (short pick -> backorder, lots, packages; a refused one is a dead letter
  and the set is in error; the same confirmation twice is superseded);
- 990 response to a load tender: the TMS addon's ``tms_update`` event (accepted,
  rejected with the K1 remarks);
- 210 freight invoice: the freight addon's carrier invoice with its charges,
  matched and audited as an imported CSV invoice.

Each handler gets one set (``EdiSet``); a set that cannot be applied raises
``EdiApplicationError`` (nothing of it kept) or, when the pipeline kept a dead
letter that users must see, returns it (the dead letter stays, the set is in error).
"""

from pathlib import Path

from odoo import models
from odoo.exceptions import UserError

from ..lib import maps_freight, maps_tms, maps_tpl
from ..lib.errors import EdiApplicationError
from ..lib.x12 import X12Error

MAPS = Path(__file__).resolve().parent.parent / "maps"
DOCUMENT_SETS = ("204", "210", "856", "940", "945", "990")


def _from_x12(exc):
    return EdiApplicationError(
        exc.message, position=exc.position, segment_id=exc.segment_id, element=exc.element
    )


class LogisticsEdiExchange(models.Model):
    _inherit = "logistics.edi.exchange"  # pylint: disable=consider-merging-classes-inherited

    def _edi_x12_map_paths(self):
        paths = super()._edi_x12_map_paths()
        paths.update(
            {(set_id, "004010"): MAPS / f"{set_id}_004010.json" for set_id in DOCUMENT_SETS}
        )
        return paths

    def _edi_x12_handlers(self):
        return dict(
            super()._edi_x12_handlers(),
            **{"945": "_edi_apply_945", "990": "_edi_apply_990", "210": "_edi_apply_210"},
        )

    # ------------------------------------------------------------------ events
    def _edi_event(self, context, payload, segment):
        """Ingest one typed canonical event through base's pipeline and apply it now
        (the file's job is the pipeline's job).  Returns an ``EdiApplicationError``
        when the pipeline refused it (a dead letter, kept), else None.
        ``segment``: the values of the segment the document is named in."""
        endpoint = context.endpoint
        # sudo: events are the pipeline's own records; whoever caused the file to be
        # read, the pipeline stores and applies them as itself (as the webhook does)
        Event = self.env["logistics.event"].sudo().with_company(endpoint.company_id)
        errors = Event._validate_payloads([payload])
        if errors:
            first = errors[0]
            raise EdiApplicationError(
                f"The set does not make a valid {payload['type']} event: "
                f"{first['field']}: {first['message']}",
                position=segment["_position"],
                segment_id=segment.get("_tag"),
            )
        status, body = Event._ingest(endpoint.sudo(), [payload])
        if status == 409:
            raise EdiApplicationError(
                "This set was received before with other content: " + body["error"]["message"],
                position=segment["_position"],
                segment_id=segment.get("_tag"),
            )
        event = Event.search(
            [("endpoint_id", "=", endpoint.id), ("external_id", "=", payload["event_id"])],
            limit=1,
        )
        if event.state == "received":
            event._process()
        self.write({"res_model": "logistics.event", "res_id": event.id})
        if event.state == "dead":
            return EdiApplicationError(
                f"Refused, nothing applied (dead letter {event.display_name}): {event.last_error}",
                position=segment["_position"],
                segment_id=segment.get("_tag"),
            )
        return None

    # ------------------------------------------------------------------ 945
    def _edi_apply_945(self, context):
        """A 945 is the 3PL's shipping confirmation of the shipping order in W06-02."""
        try:
            payload = maps_tpl.confirmation_from_945(context.values, context.id_prefix + "945")
        except X12Error as exc:
            raise _from_x12(exc) from None
        w06 = context.values["W06"]
        release = (
            self.env["logistics.tpl.release"]
            .sudo()
            .search(
                [("endpoint_id", "=", context.endpoint.id), ("name", "=", payload["shipment_ref"])],
                limit=1,
            )
        )
        if release:
            self.write({"res_model": release.picking_id._name, "res_id": release.picking_id.id})
        return self._edi_event(context, payload, dict(w06, _tag="W06"))

    # ------------------------------------------------------------------ 990
    def _edi_apply_990(self, context):
        """A 990 accepts or declines the load tender (204) of the release in B1-02."""
        b1 = context.values["B1"]
        endpoint = context.endpoint
        release = (
            self.env["logistics.tms.release"]
            .sudo()
            .search([("endpoint_id", "=", endpoint.id), ("name", "=", b1["shipment_id"])], limit=1)
        )
        if not release:
            raise EdiApplicationError(
                f"Unknown load tender {b1['shipment_id']!r}: no release of {endpoint.name} has "
                "this name. Nothing applied.",
                position=b1["_position"],
                segment_id="B1",
                element=2,
            )
        try:
            payload = maps_tms.update_from_990(
                context.values, context.id_prefix + "990", release.sent_version or release.version
            )
        except X12Error as exc:
            raise _from_x12(exc) from None
        return self._edi_event(context, payload, dict(b1, _tag="B1"))

    # ------------------------------------------------------------------ 210
    def _edi_apply_210(self, context):
        """A 210 is a carrier invoice: stored with its charges, matched and audited
        by the freight addon's code (the one its CSV import uses)."""
        endpoint = context.endpoint
        codes = endpoint._edi_codes("x12_210_charge") or maps_freight.DEFAULT_CHARGE_CODES
        try:
            number, invoice = maps_freight.invoice_from_210(context.values, codes)
        except X12Error as exc:
            raise _from_x12(exc) from None
        b3 = context.values["B3"]
        # sudo: carrier invoices are the pipeline's records; the Billing user reviews them
        Invoice = self.env["logistics.freight.invoice"].sudo().with_company(endpoint.company_id)
        types = set(self.env["logistics.freight.charge.type"].sudo().search([]).mapped("code"))
        unknown = sorted({line["charge_type"] for line in invoice["lines"]} - types)
        if unknown:
            raise EdiApplicationError(
                f"The charge code list names charge types this database does not have: "
                f"{', '.join(unknown)}.",
                position=b3["_position"],
                segment_id="B3",
            )
        currency = (
            self.env["res.currency"]
            .sudo()
            .with_context(active_test=False)
            .search([("name", "=", invoice["currency"])], limit=1)
        )
        if not currency:
            raise EdiApplicationError(
                f"Unknown currency {invoice['currency']!r}.",
                position=context.values.get("C3", b3)["_position"],
                segment_id="C3",
                element=1,
            )
        if Invoice._freight_known_numbers(endpoint, {number: invoice}):
            raise EdiApplicationError(
                f"Carrier invoice {number} was already received: nothing stored twice.",
                position=b3["_position"],
                segment_id="B3",
                element=2,
            )
        try:
            Invoice._freight_receive(endpoint.sudo(), {number: invoice})
        except UserError as exc:  # the endpoint has no carrier vendor...
            raise EdiApplicationError(str(exc), position=b3["_position"], segment_id="B3") from None
        stored = Invoice.search([("endpoint_id", "=", endpoint.id), ("name", "=", number)], limit=1)
        self.write({"res_model": stored._name, "res_id": stored.id})
