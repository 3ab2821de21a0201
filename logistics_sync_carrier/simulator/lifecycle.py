# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Bookings and their tracking progression: booked -> PU -> IT -> OD -> DL.

One step every ``webhook_interval`` seconds (or on ``POST /_sim/advance``).
Events are kept for polling and, when a webhook URL is known (the booking's,
else the ``webhook_url`` knob), sent there as ``native`` events or as the
project's ``canonical`` ones; ``reorder`` holds events back and delivers them
in swapped pairs.  A cancelled booking produces no more events.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .orders import CURRENCY, rate_amount
from odoo.addons.logistics_sync_base.simulator.server import SimError

# Native status code, description, canonical milestone.
LIFECYCLE = (
    ("PU", "Picked up", "picked_up"),
    ("IT", "In transit", "in_transit"),
    ("OD", "Out for delivery", "out_for_delivery"),
    ("DL", "Delivered", "delivered"),
)
PICKUP_DEPOT = {"city": "Paris", "zip": "75010", "country_iso": "FR"}
HUB = {"city": "Lyon", "zip": "69001", "country_iso": "FR"}


def utc_now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_event(event):
    """The project's canonical event for a native one."""
    code = event["status"]["code"]
    milestone = next(name for c, _d, name in LIFECYCLE if c == code)
    return {
        "event_id": event["id"],
        "shipment_ref": event["shipment"]["reference"],
        "milestone": milestone,
        "occurred_at": event["status"]["at"],
        "sequence": event["sequence"],
        "tracking_ref": event["shipment"]["tracking_number"],
        "carrier": "sim",
        "source_status": code,
    }


@dataclass
class Booking:
    number: int
    shipment_id: str
    tracking_number: str
    reference: str
    service: str
    weight_kg: float
    recipient: dict
    price: float
    webhook_url: str | None
    created_at: str
    response: dict = field(default_factory=dict)  # the booking answer, replayed as is
    events: list = field(default_factory=list)
    cancelled: bool = False
    held: dict | None = None  # an event held back by the reorder knob

    @property
    def delivered(self):
        return len(self.events) == len(LIFECYCLE)

    @property
    def status(self):
        if self.cancelled:
            return "cancelled"
        return LIFECYCLE[len(self.events) - 1][2] if self.events else "booked"

    def record(self):
        return {
            "shipment_id": self.shipment_id,
            "tracking_number": self.tracking_number,
            "tracking_url": self.response["tracking_url"],
            "label_url": self.response["label_url"],
            "return_label_url": f"/v1/shipments/{self.shipment_id}/return-label",
            "reference": self.reference,
            "service": self.service,
            "weight_kg": self.weight_kg,
            "recipient": self.recipient,
            "price": self.price,
            "currency": CURRENCY,
            "status": self.status,
            "status_code": self.events[-1]["status"]["code"] if self.events else None,
            "cancelled": self.cancelled,
            "created_at": self.created_at,
            "events": len(self.events),
        }


def _location(booking, code):
    if code == "PU":
        return dict(PICKUP_DEPOT)
    if code == "IT":
        return dict(HUB)
    recipient = booking.recipient
    return {
        "city": recipient.get("city") or HUB["city"],
        "zip": recipient.get("zip") or HUB["zip"],
        "country_iso": recipient.get("country") or HUB["country_iso"],
    }


class LifecycleMixin:
    """Bookings of the carrier simulator (``self``: a ``SimulatorApp`` with
    ``bookings``, ``by_tracking``, ``idempotency``, ``numbers``, ``webhooks``)."""

    def book(self, key, order):
        """Store a booking for ``order`` under ``key``; returns (booking, replayed).

        ``order`` is the normalised request (reference, service, weight_kg,
        recipient, webhook_url), the same for REST and SOAP, so one key means
        one booking whichever protocol retries it.
        """
        fingerprint = hashlib.sha256(json.dumps(order, sort_keys=True).encode()).hexdigest()
        with self._lock:
            known = self.idempotency.get(key)
            if known:
                known_fingerprint, shipment_id = known
                if not hmac.compare_digest(known_fingerprint, fingerprint):
                    raise SimError(
                        422,
                        "idempotency_key_reused",
                        "this Idempotency-Key was used for a different request",
                    )
                return self.bookings[shipment_id], True
            number = next(self.numbers)
            shipment_id = f"SIM-{number:06d}"
            tracking_number = f"SIM1Z{number:06d}"
            price = rate_amount(order["weight_kg"], order["service"])
            booking = Booking(
                number=number,
                shipment_id=shipment_id,
                tracking_number=tracking_number,
                reference=order["reference"],
                service=order["service"],
                weight_kg=order["weight_kg"],
                recipient=order["recipient"],
                price=price,
                webhook_url=order["webhook_url"],
                created_at=utc_now(),
            )
            booking.response = {
                "shipment_id": shipment_id,
                "tracking_number": tracking_number,
                "tracking_url": f"{self.base_url}/track/{tracking_number}",
                "label_url": f"/v1/shipments/{shipment_id}/label",
                "price": price,
                "currency": CURRENCY,
                "status": "booked",
            }
            self.bookings[shipment_id] = booking
            self.by_tracking[tracking_number] = booking
            self.idempotency[key] = (fingerprint, shipment_id)
            self._schedule_advance(booking)
            return booking, False

    def booking(self, shipment_id):
        with self._lock:
            found = self.bookings.get(shipment_id)
        if found is None:
            raise SimError(404, "not_found", f"unknown shipment {shipment_id}")
        return found

    def events_of(self, tracking_number):
        """Copies of a tracking number's events, None when unknown."""
        with self._lock:
            found = self.by_tracking.get(tracking_number)
            return None if found is None else [dict(e) for e in found.events]

    def cancel(self, shipment_id):
        with self._lock:
            booking = self.booking(shipment_id)
            if booking.delivered:
                raise SimError(409, "conflict", "the shipment is already delivered")
            booking.cancelled = True
            # Events already produced still reach the receiver; no new ones come.
            flushed, booking.held = booking.held, None
        if flushed:
            self._dispatch_webhooks(booking, [flushed])
        return booking

    def _schedule_advance(self, booking):
        self.scheduler.call_later(
            self.knobs.webhook_interval,
            self._scheduled_advance,
            booking.shipment_id,
            len(booking.events),
            self.generation,
        )

    def _scheduled_advance(self, shipment_id, expected_events, generation):
        with self._lock:
            booking = self.bookings.get(shipment_id)
            if generation != self.generation or booking is None:
                return
            if booking.cancelled or len(booking.events) != expected_events:
                # Cancelled, or advanced by hand meanwhile (that call scheduled the next step).
                return
        self.advance(shipment_id)

    def advance(self, shipment_id):
        """Produce the next lifecycle event of a shipment now; returns it."""
        with self._lock:
            booking = self.booking(shipment_id)
            if booking.cancelled:
                raise SimError(409, "conflict", "the shipment is cancelled")
            if booking.delivered:
                raise SimError(409, "conflict", "the shipment is already delivered")
            sequence = len(booking.events) + 1
            code, description, _milestone = LIFECYCLE[sequence - 1]
            event = {
                "id": f"sim-evt-{booking.shipment_id}-{sequence}",
                "shipment": {
                    "id": booking.shipment_id,
                    "tracking_number": booking.tracking_number,
                    "reference": booking.reference,
                },
                "status": {"code": code, "description": description, "at": utc_now()},
                "location": _location(booking, code),
                "sequence": sequence,
            }
            booking.events.append(event)
            self.counters["events"] += 1
            if not booking.delivered:
                self._schedule_advance(booking)
            outgoing = self._release_order(booking, event)
        self._dispatch_webhooks(booking, outgoing)
        return event

    def _release_order(self, booking, event):
        """The events to send now, given the reorder knob (called under the lock)."""
        if booking.held is not None:
            held, booking.held = booking.held, None
            return [event, held] if self.knobs.reorder else [held, event]
        if self.knobs.reorder and not booking.delivered:
            booking.held = event
            return []
        return [event]

    def _dispatch_webhooks(self, booking, events):
        with self._lock:
            url = booking.webhook_url or self.knobs.webhook_url
            if not url:
                return
            webhook_format = self.knobs.webhook_format
            items = [
                (e["id"], canonical_event(e) if webhook_format == "canonical" else e)
                for e in events
            ]
            self.webhooks.send(
                url, items, webhook_format, self.knobs.duplicate_rate, self.knobs.webhook_retries
            )
