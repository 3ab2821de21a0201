# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier's REST/JSON API under ``/v1`` and its public tracking page.

Rates, bookings with ``Idempotency-Key`` (a replay answers 200 with
``Idempotent-Replayed: true``; the same key with another request 422), PDF
labels and return labels, cancellation, tracking of one number or a batch.
"""

import html

from . import orders
from odoo.addons.logistics_sync_base.simulator.knobs import check_webhook_url
from odoo.addons.logistics_sync_base.simulator.pdf import build_pdf
from odoo.addons.logistics_sync_base.simulator.server import Reply, SimError, bad_field, json_body

MAX_BATCH = 100
SHIPMENT = r"(?P<shipment_id>[^/]+)"
# Routes whose faults may come after the booking was stored.
STORING = (("POST", r"/v1/shipments"),)


def label_pdf(booking):
    recipient = booking.recipient
    lines = [
        "SIM CARRIER - SHIPPING LABEL",
        f"Tracking: {booking.tracking_number}",
        f"Shipment: {booking.shipment_id}",
        f"Reference: {booking.reference}",
        f"Service: {booking.service}  Weight: {booking.weight_kg} kg",
        f"To: {recipient.get('name', '')}",
        recipient.get("street", ""),
        f"{recipient.get('zip', '')} {recipient.get('city', '')} {recipient.get('country', '')}",
    ]
    return build_pdf(lines)


def return_label_pdf(booking):
    lines = [
        "SIM CARRIER - RETURN LABEL",
        f"Return of tracking: {booking.tracking_number}",
        f"Shipment: {booking.shipment_id}",
        f"Reference: {booking.reference}",
        "To: Sim Carrier returns, 75010 Paris FR",
    ]
    return build_pdf(lines)


class RestMixin:
    """REST handlers of the carrier simulator (``self``: the ``CarrierSimulator``)."""

    def rest_routes(self):
        return [
            ("GET", r"/track/(?P<tracking_number>[^/]+)", self.get_tracking_page, "public"),
            ("POST", r"/v1/rates", self.post_rates, "rest"),
            ("POST", r"/v1/shipments", self.post_shipments, "rest"),
            ("GET", rf"/v1/shipments/{SHIPMENT}", self.get_shipment, "rest"),
            ("GET", rf"/v1/shipments/{SHIPMENT}/label", self.get_label, "rest"),
            ("GET", rf"/v1/shipments/{SHIPMENT}/return-label", self.get_return_label, "rest"),
            ("POST", rf"/v1/shipments/{SHIPMENT}/cancel", self.post_cancel, "rest"),
            ("GET", r"/v1/tracking", self.get_tracking_batch, "rest"),
            ("GET", r"/v1/tracking/(?P<tracking_number>[^/]+)", self.get_tracking, "rest"),
        ]

    def get_tracking_page(self, request, tracking_number):
        with self._lock:
            booking = self.by_tracking.get(tracking_number)
            events = list(booking.events) if booking else []
        if booking is None:
            return Reply(404, b"Unknown tracking number\n", "text/plain; charset=utf-8")
        rows = "".join(
            f"<li>{e['status']['at']} {e['status']['description']}"
            f" ({html.escape(e['location']['city'])})</li>"
            for e in events
        )
        number = html.escape(tracking_number)
        page = (
            f"<!doctype html><title>{number}</title>"
            f"<h1>Shipment {number}</h1><p>Status: {booking.status}</p><ul>{rows}</ul>"
        )
        return Reply(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def post_rates(self, request):
        data = json_body(request)
        weight_kg = orders.weight(data.get("weight_kg"))
        service = orders.service(data.get("service"))
        reference = data.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise bad_field("reference", "reference must be a string")
        orders.recipient(data.get("recipient"))
        return Reply.json(
            200,
            {
                "amount": orders.rate_amount(weight_kg, service),
                "currency": orders.CURRENCY,
                "service": service,
                "transit_days": orders.transit_days(service),
            },
        )

    def post_shipments(self, request):
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise SimError(
                400,
                "idempotency_key_required",
                "the Idempotency-Key header is required",
                "Idempotency-Key",
            )
        data = json_body(request)
        reference = data.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            raise bad_field("reference", "reference is required (a non-empty string)")
        webhook_url = data.get("webhook_url")
        if webhook_url not in (None, ""):
            try:
                webhook_url = check_webhook_url(str(webhook_url))
            except ValueError as exc:
                raise bad_field("webhook_url", str(exc)) from exc
        order = {
            "reference": reference,
            "service": orders.service(data.get("service")),
            "weight_kg": orders.weight(data.get("weight_kg")),
            "recipient": orders.recipient(data.get("recipient")),
            "webhook_url": webhook_url or None,
        }
        booking, replayed = self.book(key, order)
        if replayed:
            return Reply.json(200, booking.response, **{"Idempotent-Replayed": "true"})
        return Reply.json(201, booking.response)

    def get_shipment(self, request, shipment_id):
        with self._lock:
            return Reply.json(200, self.booking(shipment_id).record())

    def get_label(self, request, shipment_id):
        return Reply(200, label_pdf(self.booking(shipment_id)), "application/pdf")

    def get_return_label(self, request, shipment_id):
        return Reply(200, return_label_pdf(self.booking(shipment_id)), "application/pdf")

    def post_cancel(self, request, shipment_id):
        booking = self.cancel(shipment_id)
        return Reply.json(200, {"shipment_id": booking.shipment_id, "status": "cancelled"})

    def get_tracking(self, request, tracking_number):
        events = self.events_of(tracking_number)
        if events is None:
            raise SimError(404, "not_found", f"unknown tracking number {tracking_number}")
        return Reply.json(200, {"tracking_number": tracking_number, "events": events})

    def get_tracking_batch(self, request):
        raw = ",".join(request.query.get("numbers", []))
        numbers = [n.strip() for n in raw.split(",") if n.strip()]
        if not numbers:
            raise bad_field("numbers", "numbers is required (comma-separated tracking numbers)")
        if len(numbers) > MAX_BATCH:
            raise bad_field("numbers", f"at most {MAX_BATCH} tracking numbers per call")
        results = []
        for number in numbers:
            events = self.events_of(number)
            if events is None:
                results.append({"tracking_number": number, "error": "unknown"})
            else:
                results.append({"tracking_number": number, "events": events})
        return Reply.json(200, {"results": results})
