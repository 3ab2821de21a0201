#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A fake parcel carrier on 127.0.0.1, for integration tests and demos.

Standard library only, no Odoo import: run it as a script (the Odoo addon never
imports it; this folder has no ``__init__.py`` on purpose)::

    python carrier_simulator.py --port 0 --port-file /tmp/sim.port \\
        --api-key KEY --username U --password P --webhook-secret SECRET

It binds loopback addresses only, writes the port it got to ``--port-file``
(atomically), prints ``carrier simulator listening on http://127.0.0.1:PORT``
and stops by itself after ``--max-lifetime`` seconds, or on SIGTERM / SIGINT.
One line per request goes to stderr; secrets and Authorization headers never do.

What it offers
--------------
- REST (JSON) under ``/v1``: rates, bookings with ``Idempotency-Key``, PDF
  labels and return labels, cancellation, tracking (one number or a batch).
  Authentication: ``Authorization: Bearer <api key>``, ``X-API-Key: <api key>``
  or HTTP Basic ``<username>:<password>``.
- SOAP 1.1 document/literal on ``/soap`` (GetRate, BookShipment,
  CancelShipment, TrackShipment), described by ``../wsdl/sim_carrier.wsdl``,
  served with the real address on ``GET /soap?wsdl``.  Bookings are shared
  with REST.  Requests carrying ``<!DOCTYPE`` or ``<!ENTITY`` are refused (400).
- A lifecycle per booking: PU (picked up), IT (in transit), OD (out for
  delivery), DL (delivered), one step every ``--webhook-interval`` seconds.
  Events are kept for polling and, when a webhook URL is known (the booking's
  ``webhook_url``, else ``--webhook-url``; loopback http(s) URLs only), POSTed
  there: ``native`` events signed with ``X-Sim-Signature`` (hex HMAC-SHA256 of
  the body), or ``canonical`` events signed per Standard Webhooks v1 (the
  secret is then ``whsec_<base64>``).  Failed deliveries are retried 3 times,
  1 s apart, with a 5 s timeout per POST.
- ``/health`` and the control API under ``/_sim`` (no authentication):
  ``GET /_sim/stats``, ``GET|POST /_sim/config``, ``POST /_sim/reset``,
  ``POST /_sim/advance/<shipment id>``, ``GET /_sim/evil.dtd``.

Knobs (command line, most of them also live through ``POST /_sim/config``)
---------------------------------------------------------------------------
- ``latency_ms``: sleep before answering each ``/v1`` or ``/soap`` request.
- ``error_rate``: probability that such a request is faulted (seeded RNG, see
  ``--seed``).  The fault is one of, uniformly: 500, 502, 503, 429 with
  ``Retry-After: 1``, a timeout (sleep ``timeout_sleep`` seconds, then answer
  normally) or a connection reset (RST, no answer).  For booking calls
  (``POST /v1/shipments`` and every SOAP call, whose operation is only known
  once the body is parsed) half of the 5xx, timeouts and resets happen *after*
  the request was carried out: the carrier booked, the client never learns it.
  Faults come before authentication, as from a gateway.  ``/health``,
  ``/track``, ``GET /soap?wsdl`` and ``/_sim`` are never faulted.
- outage (``outage`` true/false or ``outage_seconds``): every ``/v1`` and
  ``/soap`` request answers 503 with ``Retry-After: 2``.
- ``duplicate_rate``: probability that a webhook event is POSTed twice.
- ``reorder``: events are held and delivered in swapped pairs (IT before PU,
  DL before OD).
- ``webhook_url``, ``webhook_format`` (native|canonical), ``webhook_interval``.
- ``soap_evil`` ("", "xxe", "billion_laughs", "dtd"): SOAP answers carry an
  external entity, nested entities or an external DTD reference, to test that
  a client refuses them; the operation itself is not carried out.
  ``GET /_sim/evil.dtd`` counts its fetches.
- ``timeout_sleep``: how long an injected timeout lasts.

``GET /_sim/stats``: ``bookings`` (stored), ``bookings_by_reference``,
``requests`` (``/v1`` and ``/soap`` calls), ``faults`` by kind (``outage``
included), ``webhooks_sent`` (2xx answers), ``webhooks_failed`` (given up after
the retries), ``webhook_attempts``, ``events``, ``soap_requests`` and
``evil_dtd_fetches``.

``POST /_sim/reset`` drops bookings, events, pending webhooks and statistics
and puts every knob back to its command-line value.  Shipment numbers keep
counting, so a client never sees the same shipment id twice in one run.
"""

import argparse
import base64
import binascii
import hashlib
import heapq
import hmac
import html
import http.client
import ipaddress
import itertools
import json
import logging
import math
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_logger = logging.getLogger("carrier_simulator")

WSDL_PATH = Path(__file__).resolve().parent.parent / "wsdl" / "sim_carrier.wsdl"
WSDL_PLACEHOLDER_ADDRESS = "http://127.0.0.1:8/soap"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_NS = "urn:logistics-sync:sim-carrier:1"
ET.register_namespace("soap", SOAP_ENV)
ET.register_namespace("sim", SOAP_NS)

CURRENCY = "EUR"
SERVICES = {"standard": (Decimal("1"), 2), "express": (Decimal("1.8"), 1)}
MAX_BODY = 1024 * 1024
MAX_BATCH = 100
WEBHOOK_TIMEOUT = 5
WEBHOOK_RETRIES = 3
WEBHOOK_RETRY_PAUSE = 1.0

# Native status code, description, canonical milestone.
LIFECYCLE = (
    ("PU", "Picked up", "picked_up"),
    ("IT", "In transit", "in_transit"),
    ("OD", "Out for delivery", "out_for_delivery"),
    ("DL", "Delivered", "delivered"),
)
PICKUP_DEPOT = {"city": "Paris", "zip": "75010", "country_iso": "FR"}
HUB = {"city": "Lyon", "zip": "69001", "country_iso": "FR"}

FAULT_KINDS = ("500", "502", "503", "429", "timeout", "reset")
# Faults that may happen after a booking call was carried out (never a 429).
AFTER_FAULTS = {"500", "502", "503", "timeout", "reset"}
FAULT_COUNTERS = (*FAULT_KINDS, "outage")
EVIL_MODES = ("", "xxe", "billion_laughs", "dtd")
WEBHOOK_FORMATS = ("native", "canonical")


class SimError(Exception):
    """A request the simulator answers with an error (JSON or SOAP fault)."""

    def __init__(self, status, code, message, field_name=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field_name = field_name

    def as_json(self):
        doc = {"error": self.code, "message": self.message}
        if self.field_name:
            doc["field"] = self.field_name
        return doc


def bad_field(field_name, message):
    return SimError(400, "bad_request", message, field_name)


# --------------------------------------------------------------------------- pure helpers


def utc_now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compact_json(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=False).encode("utf-8")


def same_secret(given, expected):
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def rate_amount(weight_kg, service):
    """5.00 + 1.25 per kg, times 1.8 for express, rounded half-up to cents."""
    factor, _days = SERVICES[service]
    amount = (Decimal("5.00") + Decimal("1.25") * Decimal(str(weight_kg))) * factor
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def is_loopback_host(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url):
    """An http(s) URL on a loopback host, or a ``ValueError``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_loopback_host(parts.hostname or ""):
        raise ValueError("webhook_url must be an http(s) URL on a loopback host")
    return url


def standard_webhooks_key(secret):
    """The HMAC key of a ``whsec_<base64>`` secret, or a ``ValueError``."""
    if not secret.startswith("whsec_"):
        raise ValueError("canonical webhooks need a secret of the form whsec_<base64>")
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise ValueError("the part after whsec_ is not valid base64") from exc


def native_signature(secret, body):
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_webhooks_signature(key, msg_id, timestamp, body):
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


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


def _pdf_text(text):
    printable = "".join(c if 32 <= ord(c) < 127 else "?" for c in str(text))
    return printable.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(lines):
    """A one-page 4x6 inch PDF showing ``lines`` (Helvetica, uncompressed)."""
    text = ["BT", "/F1 13 Tf", "18 TL", "24 400 Td"]
    text += [f"({_pdf_text(line)}) Tj T*" for line in lines]
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432]"
        b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(objects) + 1, xref_at)
    pdf += b"%%EOF"
    return bytes(pdf)


# --------------------------------------------------------------------------- knobs


@dataclass
class Knobs:
    """Everything ``POST /_sim/config`` may change (outage is kept apart)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder: bool = False
    webhook_url: str | None = None
    webhook_format: str = "native"
    webhook_interval: float = 1.0
    timeout_sleep: float = 15.0
    soap_evil: str = ""


def _as_rate(value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("must be a number between 0 and 1")
    return float(value)


def _as_non_negative(value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise ValueError("must be a number >= 0")
    return value


def _as_positive(value):
    if _as_non_negative(value) <= 0:
        raise ValueError("must be a number > 0")
    return float(value)


def _as_bool(value):
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _as_choice(options):
    def parse(value):
        if value not in options:
            raise ValueError("must be one of " + ", ".join(repr(o) for o in options))
        return value

    return parse


def _as_webhook_url(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string or null")
    return check_webhook_url(value)


KNOB_PARSERS = {
    "latency_ms": lambda v: int(_as_non_negative(v)),
    "error_rate": _as_rate,
    "duplicate_rate": _as_rate,
    "reorder": _as_bool,
    "webhook_url": _as_webhook_url,
    "webhook_format": _as_choice(WEBHOOK_FORMATS),
    "webhook_interval": _as_positive,
    "timeout_sleep": lambda v: float(_as_non_negative(v)),
    "soap_evil": _as_choice(EVIL_MODES),
}


# --------------------------------------------------------------------------- state


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
    held: dict | None = None  # an event held back by --reorder

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


@dataclass
class Delivery:
    """One webhook POST (with its retries)."""

    url: str
    event_id: str
    body: bytes
    webhook_format: str
    generation: int
    attempts: int = 0


class Scheduler:
    """One background thread running callables at given times."""

    def __init__(self):
        self._heap = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def call_later(self, delay, func, *args):
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._order), func, args))
            self._cond.notify()

    def clear(self):
        with self._cond:
            self._heap.clear()

    def _run(self):
        while True:
            with self._cond:
                while not self._stopped:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._cond.wait(self._heap[0][0] - now if self._heap else None)
                if self._stopped:
                    return
                _due, _order, func, args = heapq.heappop(self._heap)
            try:
                func(*args)
            except Exception:
                # A failing task must not end the thread that runs every later one.
                _logger.exception("scheduled task %s failed", getattr(func, "__name__", func))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Webhook receivers answer; a redirect counts as a failed delivery."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# --------------------------------------------------------------------------- HTTP plumbing


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: object  # http.client.HTTPMessage
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    reset: bool = False  # close the connection with a RST instead of answering
    note: str = ""  # for the log line

    @classmethod
    def json(cls, status, doc, **headers):
        return cls(status, compact_json(doc), "application/json", headers)


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    func: object
    kind: str  # public | control | rest | soap
    may_book: bool = False

    @property
    def faultable(self):
        return self.kind in ("rest", "soap")


class Simulator:
    """The carrier: bookings, lifecycle, webhooks, faults, REST and SOAP."""

    def __init__(self, *, api_key, username, password, webhook_secret, knobs, seed):
        self.api_key = api_key
        self.username = username
        self.password = password
        self.webhook_secret = webhook_secret
        self.initial_knobs = knobs
        self.seed = seed
        self.base_url = "http://127.0.0.1"
        self.scheduler = Scheduler()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self._lock = threading.RLock()
        self._numbers = itertools.count(1)
        self.generation = 0  # bumped by each reset; stale scheduled work checks it
        self._reset_state()
        self.routes = self._routes()

    # ------------------------------------------------------------- state and stats
    def _reset_state(self):
        with self._lock:
            self.knobs = replace(self.initial_knobs)
            self.outage_until = None  # time.monotonic() deadline, math.inf while switched on
            self.fault_rng = random.Random(self.seed)
            self.webhook_rng = random.Random(None if self.seed is None else f"webhooks-{self.seed}")
            self.bookings = {}
            self.by_tracking = {}
            self.idempotency = {}
            self.generation += 1
            self.counters = {
                "requests": 0,
                "soap_requests": 0,
                "events": 0,
                "webhooks_sent": 0,
                "webhooks_failed": 0,
                "webhook_attempts": 0,
                "evil_dtd_fetches": 0,
            }
            self.faults = dict.fromkeys(FAULT_COUNTERS, 0)

    def _count(self, name):
        with self._lock:
            self.counters[name] += 1

    def stats(self):
        with self._lock:
            by_reference = {}
            for booking in self.bookings.values():
                by_reference[booking.reference] = by_reference.get(booking.reference, 0) + 1
            return {
                "bookings": len(self.bookings),
                "bookings_by_reference": by_reference,
                "requests": self.counters["requests"],
                "faults": dict(self.faults),
                "webhooks_sent": self.counters["webhooks_sent"],
                "webhooks_failed": self.counters["webhooks_failed"],
                "webhook_attempts": self.counters["webhook_attempts"],
                "events": self.counters["events"],
                "soap_requests": self.counters["soap_requests"],
                "evil_dtd_fetches": self.counters["evil_dtd_fetches"],
            }

    def in_outage(self):
        with self._lock:
            return self.outage_until is not None and time.monotonic() < self.outage_until

    def config_doc(self):
        with self._lock:
            doc = asdict(self.knobs)
            remaining = None
            if self.in_outage() and self.outage_until != math.inf:
                remaining = round(self.outage_until - time.monotonic(), 3)
            doc.update(outage=self.in_outage(), outage_remaining_seconds=remaining)
            return doc

    def start(self):
        self.scheduler.start()

    def stop(self):
        self.scheduler.stop()

    # ------------------------------------------------------------- bookings
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
            number = next(self._numbers)
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

    def _booking(self, shipment_id):
        with self._lock:
            booking = self.bookings.get(shipment_id)
        if booking is None:
            raise SimError(404, "not_found", f"unknown shipment {shipment_id}")
        return booking

    def cancel(self, shipment_id):
        with self._lock:
            booking = self._booking(shipment_id)
            if booking.delivered:
                raise SimError(409, "conflict", "the shipment is already delivered")
            booking.cancelled = True
            # Events already produced still reach the receiver; no new ones come.
            flushed, booking.held = booking.held, None
        if flushed:
            self._dispatch_webhooks(booking, [flushed])
        return booking

    # ------------------------------------------------------------- lifecycle
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
            booking = self._booking(shipment_id)
            if booking.cancelled:
                raise SimError(409, "conflict", "the shipment is cancelled")
            if booking.delivered:
                raise SimError(409, "conflict", "the shipment is already delivered")
            sequence = len(booking.events) + 1
            code, description, _milestone = LIFECYCLE[sequence - 1]
            if code == "PU":
                location = PICKUP_DEPOT
            elif code == "IT":
                location = HUB
            else:
                recipient = booking.recipient
                location = {
                    "city": recipient.get("city") or HUB["city"],
                    "zip": recipient.get("zip") or HUB["zip"],
                    "country_iso": recipient.get("country") or HUB["country_iso"],
                }
            event = {
                "id": f"sim-evt-{booking.shipment_id}-{sequence}",
                "shipment": {
                    "id": booking.shipment_id,
                    "tracking_number": booking.tracking_number,
                    "reference": booking.reference,
                },
                "status": {"code": code, "description": description, "at": utc_now()},
                "location": dict(location),
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
        """The events to send now, given --reorder (called under the lock)."""
        if booking.held is not None:
            held, booking.held = booking.held, None
            return [event, held] if self.knobs.reorder else [held, event]
        if self.knobs.reorder and not booking.delivered:
            booking.held = event
            return []
        return [event]

    # ------------------------------------------------------------- webhooks
    def _dispatch_webhooks(self, booking, events):
        with self._lock:
            url = booking.webhook_url or self.knobs.webhook_url
            webhook_format = self.knobs.webhook_format
            duplicate_rate = self.knobs.duplicate_rate
            generation = self.generation
            if not url:
                return
            for event in events:
                doc = canonical_event(event) if webhook_format == "canonical" else event
                copies = 1
                if duplicate_rate and self.webhook_rng.random() < duplicate_rate:
                    copies = 2
                for _copy in range(copies):
                    delivery = Delivery(
                        url, event["id"], compact_json(doc), webhook_format, generation
                    )
                    self.scheduler.call_later(0, self._deliver, delivery)

    def _webhook_headers(self, delivery):
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "logistics-sync-carrier-simulator/1",
        }
        if delivery.webhook_format == "canonical":
            timestamp = int(time.time())
            key = standard_webhooks_key(self.webhook_secret)
            headers.update(
                {
                    "webhook-id": delivery.event_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": standard_webhooks_signature(
                        key, delivery.event_id, timestamp, delivery.body
                    ),
                }
            )
        else:
            headers["X-Sim-Signature"] = native_signature(self.webhook_secret, delivery.body)
        return headers

    def _deliver(self, delivery):
        """POST one webhook (on the scheduler thread); retry later on failure."""
        with self._lock:
            if delivery.generation != self.generation:
                return  # dropped by /_sim/reset
            self.counters["webhook_attempts"] += 1
        delivery.attempts += 1
        error = None
        try:
            headers = self._webhook_headers(delivery)
            request = urllib.request.Request(  # noqa: S310 (loopback http(s) URLs only)
                delivery.url, data=delivery.body, headers=headers, method="POST"
            )
            with self._opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                response.read()
                if not 200 <= response.status < 300:
                    error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            exc.close()
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self._count("webhooks_sent")
            _logger.info("webhook %s delivered (attempt %d)", delivery.event_id, delivery.attempts)
        elif delivery.attempts <= WEBHOOK_RETRIES:
            _logger.info(
                "webhook %s failed (%s), retry in %.0f s",
                delivery.event_id,
                error,
                WEBHOOK_RETRY_PAUSE,
            )
            self.scheduler.call_later(WEBHOOK_RETRY_PAUSE, self._deliver, delivery)
        else:
            self._count("webhooks_failed")
            _logger.warning(
                "webhook %s given up after %d attempts (%s)",
                delivery.event_id,
                delivery.attempts,
                error,
            )

    # ------------------------------------------------------------- request flow
    def respond(self, request):
        """The whole answer to one request, faults included."""
        route, params = self._match(request.method, request.path)
        if route is None:
            return self._no_route(request.method, request.path)
        if not route.faultable:
            return self._call(route, request, params)

        with self._lock:
            self.counters["requests"] += 1
            knobs = replace(self.knobs)
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        if self.in_outage():
            with self._lock:
                self.faults["outage"] += 1
            return Reply.json(
                503, {"error": "service_unavailable", "message": "outage"}, **{"Retry-After": "2"}
            )
        kind, after = self._draw_fault(knobs.error_rate, route.may_book)
        if kind and not after:
            faulted = self._inject(kind, route, knobs)
            if faulted is not None:
                return faulted
        reply = self._call(route, request, params)
        if kind == "timeout":
            reply.note = (
                "fault timeout" + (" after processing" if after else "") + ", answered late"
            )
        if kind and after:
            faulted = self._inject(kind, route, knobs)
            if faulted is not None:
                faulted.note += " after processing"
                return faulted
        return reply

    def _match(self, method, path):
        """(route, path parameters), or (None, None)."""
        for route in self.routes:
            found = route.method == method and route.pattern.fullmatch(path)
            if found:
                return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        return None, None

    def _no_route(self, method, path):
        allowed = sorted({r.method for r in self.routes if r.pattern.fullmatch(path)})
        if allowed:
            return Reply.json(
                405,
                {"error": "method_not_allowed", "message": f"use {', '.join(allowed)}"},
                Allow=", ".join(allowed),
            )
        return Reply.json(404, {"error": "not_found", "message": f"no route {path}"})

    def _call(self, route, request, params):
        if route.kind == "rest" and not self._authorized(request.headers):
            return Reply.json(
                401, {"error": "unauthorized"}, **{"WWW-Authenticate": 'Basic realm="sim-carrier"'}
            )
        try:
            return route.func(request, **params)
        except SimError as exc:
            return Reply.json(exc.status, exc.as_json())

    def _authorized(self, headers):
        """Bearer, X-API-Key or Basic; any one valid credential is enough."""
        results = []
        api_key = headers.get("X-API-Key")
        if api_key is not None:
            results.append(same_secret(api_key, self.api_key))
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "bearer":
            results.append(same_secret(value.strip(), self.api_key))
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            username, _, password = decoded.partition(":")
            # Both comparisons run, whatever the first one says.
            user_ok = same_secret(username, self.username)
            password_ok = same_secret(password, self.password)
            results.append(user_ok and password_ok)
        return any(results)

    def _draw_fault(self, error_rate, may_book):
        """(kind, after) or (None, False), from the seeded RNG."""
        if not error_rate:
            return None, False
        with self._lock:
            if self.fault_rng.random() >= error_rate:
                return None, False
            kind = self.fault_rng.choice(FAULT_KINDS)
            after = may_book and kind in AFTER_FAULTS and self.fault_rng.random() < 0.5
            return kind, after

    def _inject(self, kind, route, knobs):
        """The fault's answer; None for a timeout (slept, then answer normally)."""
        with self._lock:
            self.faults[kind] += 1
        if kind == "timeout":
            time.sleep(knobs.timeout_sleep)
            return None
        if kind == "reset":
            return Reply(reset=True, note="fault reset")
        if kind == "429":
            reply = Reply.json(
                429,
                {"error": "rate_limited", "message": "too many requests"},
                **{"Retry-After": "1"},
            )
        elif kind == "500" and route.kind == "soap":
            reply = soap_fault_reply(500, "soap:Server", "Internal error (injected)")
        else:
            reply = Reply.json(int(kind), {"error": "server_error", "message": f"injected {kind}"})
        reply.note = f"fault {kind}"
        return reply

    # ------------------------------------------------------------- routes
    def _routes(self):
        shipment = r"(?P<shipment_id>[^/]+)"
        table = [
            ("GET", r"/health", self.get_health, "public"),
            ("GET", r"/track/(?P<tracking_number>[^/]+)", self.get_tracking_page, "public"),
            ("POST", r"/v1/rates", self.post_rates, "rest"),
            ("POST", r"/v1/shipments", self.post_shipments, "rest"),
            ("GET", rf"/v1/shipments/{shipment}", self.get_shipment, "rest"),
            ("GET", rf"/v1/shipments/{shipment}/label", self.get_label, "rest"),
            ("GET", rf"/v1/shipments/{shipment}/return-label", self.get_return_label, "rest"),
            ("POST", rf"/v1/shipments/{shipment}/cancel", self.post_cancel, "rest"),
            ("GET", r"/v1/tracking", self.get_tracking_batch, "rest"),
            ("GET", r"/v1/tracking/(?P<tracking_number>[^/]+)", self.get_tracking, "rest"),
            ("GET", r"/soap", self.get_wsdl, "public"),
            ("POST", r"/soap", self.post_soap, "soap"),
            ("GET", r"/_sim/stats", self.get_stats, "control"),
            ("GET", r"/_sim/config", self.get_config, "control"),
            ("POST", r"/_sim/config", self.post_config, "control"),
            ("POST", r"/_sim/reset", self.post_reset, "control"),
            ("POST", rf"/_sim/advance/{shipment}", self.post_advance, "control"),
            ("GET", r"/_sim/evil\.dtd", self.get_evil_dtd, "control"),
        ]
        booking_routes = {("POST", r"/v1/shipments"), ("POST", r"/soap")}
        return [
            Route(method, re.compile(pattern), func, kind, (method, pattern) in booking_routes)
            for method, pattern, func, kind in table
        ]

    # ------------------------------------------------------------- REST handlers
    def get_health(self, request):
        return Reply.json(200, {"status": "ok"})

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
        data = _json_body(request)
        weight_kg = _weight(data.get("weight_kg"))
        service = _service(data.get("service"))
        reference = data.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise bad_field("reference", "reference must be a string")
        _recipient(data.get("recipient"))
        return Reply.json(
            200,
            {
                "amount": rate_amount(weight_kg, service),
                "currency": CURRENCY,
                "service": service,
                "transit_days": SERVICES[service][1],
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
        data = _json_body(request)
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
            "service": _service(data.get("service")),
            "weight_kg": _weight(data.get("weight_kg")),
            "recipient": _recipient(data.get("recipient")),
            "webhook_url": webhook_url or None,
        }
        booking, replayed = self.book(key, order)
        if replayed:
            return Reply.json(200, booking.response, **{"Idempotent-Replayed": "true"})
        return Reply.json(201, booking.response)

    def get_shipment(self, request, shipment_id):
        with self._lock:
            return Reply.json(200, self._booking(shipment_id).record())

    def get_label(self, request, shipment_id):
        booking = self._booking(shipment_id)
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
        return Reply(200, build_pdf(lines), "application/pdf")

    def get_return_label(self, request, shipment_id):
        booking = self._booking(shipment_id)
        lines = [
            "SIM CARRIER - RETURN LABEL",
            f"Return of tracking: {booking.tracking_number}",
            f"Shipment: {booking.shipment_id}",
            f"Reference: {booking.reference}",
            "To: Sim Carrier returns, 75010 Paris FR",
        ]
        return Reply(200, build_pdf(lines), "application/pdf")

    def post_cancel(self, request, shipment_id):
        booking = self.cancel(shipment_id)
        return Reply.json(200, {"shipment_id": booking.shipment_id, "status": "cancelled"})

    def _events_of(self, tracking_number):
        with self._lock:
            booking = self.by_tracking.get(tracking_number)
            return None if booking is None else [dict(e) for e in booking.events]

    def get_tracking(self, request, tracking_number):
        events = self._events_of(tracking_number)
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
            events = self._events_of(number)
            if events is None:
                results.append({"tracking_number": number, "error": "unknown"})
            else:
                results.append({"tracking_number": number, "events": events})
        return Reply.json(200, {"results": results})

    # ------------------------------------------------------------- control handlers
    def get_stats(self, request):
        return Reply.json(200, self.stats())

    def get_config(self, request):
        return Reply.json(200, self.config_doc())

    def post_config(self, request):
        data = _json_body(request)
        updates, errors = {}, {}
        outage = data.pop("outage", None)
        outage_seconds = data.pop("outage_seconds", None)
        for name, value in data.items():
            parse = KNOB_PARSERS.get(name)
            if parse is None:
                errors[name] = "unknown setting"
                continue
            try:
                updates[name] = parse(value)
            except ValueError as exc:
                errors[name] = str(exc)
        try:
            outage = None if outage is None else _as_bool(outage)
        except ValueError as exc:
            errors["outage"] = str(exc)
        try:
            outage_seconds = None if outage_seconds is None else _as_positive(outage_seconds)
        except ValueError as exc:
            errors["outage_seconds"] = str(exc)
        if updates.get("webhook_format") == "canonical":
            try:
                standard_webhooks_key(self.webhook_secret)
            except ValueError as exc:
                errors["webhook_format"] = str(exc)
        if errors:
            return Reply.json(
                400, {"error": "bad_request", "message": "invalid settings", "fields": errors}
            )
        with self._lock:
            self.knobs = replace(self.knobs, **updates)
            if outage is not None:
                self.outage_until = math.inf if outage else None
            if outage_seconds is not None:
                self.outage_until = time.monotonic() + outage_seconds
        _logger.info("config changed: %s", ", ".join(sorted(updates)) or "outage")
        return Reply.json(200, self.config_doc())

    def post_reset(self, request):
        self.scheduler.clear()
        self._reset_state()
        _logger.info("state reset")
        return Reply.json(200, {"status": "reset", "config": self.config_doc()})

    def post_advance(self, request, shipment_id):
        return Reply.json(200, {"event": self.advance(shipment_id)})

    def get_evil_dtd(self, request):
        self._count("evil_dtd_fetches")
        dtd = b'<!ENTITY evil "the client fetched the external DTD">\n'
        return Reply(200, dtd, "application/xml-dtd")

    # ------------------------------------------------------------- SOAP
    def get_wsdl(self, request):
        if not any(key.lower() == "wsdl" for key in request.query):
            return Reply.json(
                400, {"error": "bad_request", "message": "POST SOAP requests, or GET /soap?wsdl"}
            )
        text = WSDL_PATH.read_text(encoding="utf-8")
        text = text.replace(WSDL_PLACEHOLDER_ADDRESS, f"{self.base_url}/soap")
        return Reply(200, text.encode("utf-8"), "text/xml; charset=utf-8")

    def post_soap(self, request):
        self._count("soap_requests")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return soap_fault_reply(400, "soap:Client", "The request must be UTF-8 XML")
        upper = text.upper()
        if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
            return soap_fault_reply(400, "soap:Client", "DTDs and entity declarations are refused")
        try:
            # Safe: no DTD, hence no entity, can reach the parser (refused just above).
            root = ET.fromstring(request.body)  # noqa: S314
        except ET.ParseError:
            return soap_fault_reply(500, "soap:Client", "Malformed XML")
        body = root.find(f"{{{SOAP_ENV}}}Body") if root.tag == f"{{{SOAP_ENV}}}Envelope" else None
        operation = body[0] if body is not None and len(body) else None
        name = _local_name(operation.tag) if operation is not None else ""
        handler = {
            "GetRate": self._soap_get_rate,
            "BookShipment": self._soap_book_shipment,
            "CancelShipment": self._soap_cancel_shipment,
            "TrackShipment": self._soap_track_shipment,
        }.get(name)
        if handler is None or operation.tag != f"{{{SOAP_NS}}}{name}":
            return soap_fault_reply(500, "soap:Client", "Unknown operation")
        action = (request.headers.get("SOAPAction") or "").strip().strip('"')
        if action and action != f"{SOAP_NS}/{name}":
            return soap_fault_reply(500, "soap:Client", "SOAPAction does not match the body")
        credentials = operation.find(f"{{{SOAP_NS}}}Credentials")
        username = _soap_text(credentials, "Username") if credentials is not None else ""
        password = _soap_text(credentials, "Password") if credentials is not None else ""
        user_ok = same_secret(username, self.username)
        password_ok = same_secret(password, self.password)
        if not (user_ok and password_ok):
            return soap_fault_reply(500, "soap:Client", "Invalid credentials")
        evil = self.knobs.soap_evil
        if evil:
            return Reply(200, self._evil_envelope(name, evil), "text/xml; charset=utf-8")
        try:
            fields = handler(operation)
        except SimError as exc:
            return soap_fault_reply(500, "soap:Client", exc.message)
        envelope = soap_envelope(f"{name}Response", fields)
        return Reply(200, envelope, "text/xml; charset=utf-8")

    def _soap_get_rate(self, operation):
        weight_kg = _soap_weight(operation)
        service = _soap_service(operation)
        return [
            ("Amount", f"{rate_amount(weight_kg, service):.2f}"),
            ("Currency", CURRENCY),
            ("TransitDays", str(SERVICES[service][1])),
        ]

    def _soap_book_shipment(self, operation):
        key = _soap_text(operation, "IdempotencyKey").strip()
        if not key:
            raise bad_field("IdempotencyKey", "IdempotencyKey is required")
        reference = _soap_text(operation, "Reference").strip()
        if not reference:
            raise bad_field("Reference", "Reference is required")
        recipient = {
            "name": _soap_text(operation, "RecipientName"),
            "city": _soap_text(operation, "RecipientCity"),
            "zip": _soap_text(operation, "RecipientZip"),
            "country": _soap_text(operation, "RecipientCountry"),
        }
        order = {
            "reference": reference,
            "service": _soap_service(operation),
            "weight_kg": _soap_weight(operation),
            "recipient": {k: v for k, v in recipient.items() if v},
            "webhook_url": None,
        }
        booking, _replayed = self.book(key, order)
        label = self.get_label(None, booking.shipment_id).body
        return [
            ("ShipmentId", booking.shipment_id),
            ("TrackingNumber", booking.tracking_number),
            ("TrackingUrl", booking.response["tracking_url"]),
            ("Price", f"{booking.price:.2f}"),
            ("Currency", CURRENCY),
            ("LabelPdf", base64.b64encode(label).decode("ascii")),
        ]

    def _soap_cancel_shipment(self, operation):
        self.cancel(_soap_text(operation, "ShipmentId").strip())
        return [("Status", "cancelled")]

    def _soap_track_shipment(self, operation):
        tracking_number = _soap_text(operation, "TrackingNumber").strip()
        events = self._events_of(tracking_number)
        if events is None:
            raise SimError(404, "not_found", f"Unknown tracking number {tracking_number}")
        return [
            (
                "Event",
                [
                    ("Code", e["status"]["code"]),
                    ("Description", e["status"]["description"]),
                    ("At", e["status"]["at"]),
                    ("City", e["location"]["city"]),
                ],
            )
            for e in events
        ]

    def _evil_envelope(self, operation, mode):
        """A hostile answer to ``operation`` (nothing is carried out)."""
        marker = "EVILPLACEHOLDER"
        canned = {
            "GetRate": [("Amount", marker), ("Currency", CURRENCY), ("TransitDays", "2")],
            "BookShipment": [
                ("ShipmentId", marker),
                ("TrackingNumber", "SIM1Z999999"),
                ("TrackingUrl", f"{self.base_url}/track/SIM1Z999999"),
                ("Price", "0.00"),
                ("Currency", CURRENCY),
                ("LabelPdf", ""),
            ],
            "CancelShipment": [("Status", marker)],
            "TrackShipment": [
                (
                    "Event",
                    [
                        ("Code", marker),
                        ("Description", "Picked up"),
                        ("At", utc_now()),
                        ("City", "Paris"),
                    ],
                )
            ],
        }[operation]
        envelope = soap_envelope(f"{operation}Response", canned, declaration=False).decode()
        if mode == "xxe":
            doctype = '<!DOCTYPE soap:Envelope [\n<!ENTITY xxe SYSTEM "file:///etc/hostname">\n]>'
            envelope = envelope.replace(marker, "&xxe;")
        elif mode == "billion_laughs":
            entities = ['<!ENTITY lol "lol">']
            previous = "lol"
            for level in range(1, 10):
                entities.append(f'<!ENTITY lol{level} "{f"&{previous};" * 10}">')
                previous = f"lol{level}"
            doctype = "<!DOCTYPE soap:Envelope [\n" + "\n".join(entities) + "\n]>"
            envelope = envelope.replace(marker, "&lol9;")
        else:
            doctype = f'<!DOCTYPE soap:Envelope SYSTEM "{self.base_url}/_sim/evil.dtd">'
            envelope = envelope.replace(marker, "1.00" if operation == "GetRate" else "SIM-EVIL")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n{envelope}'.encode()


# --------------------------------------------------------------------------- request parsing


def _json_body(request):
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SimError(400, "bad_request", "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise SimError(400, "bad_request", "the body must be a JSON object")
    return data


def _weight(value, field_name="weight_kg"):
    if value is None:
        raise bad_field(field_name, f"{field_name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_field(field_name, f"{field_name} must be a number")
    if not 0 < value <= 1000:
        raise bad_field(field_name, f"{field_name} must be above 0 and at most 1000")
    return float(value)


def _service(value, field_name="service"):
    service = value or "standard"
    if service not in SERVICES:
        raise bad_field(field_name, f"{field_name} must be one of {', '.join(SERVICES)}")
    return service


def _recipient(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_field("recipient", "recipient must be an object")
    recipient = {}
    for key in ("name", "street", "city", "zip", "country"):
        item = value.get(key)
        if item in (None, ""):
            continue
        if not isinstance(item, str):
            raise bad_field(f"recipient.{key}", f"recipient.{key} must be a string")
        recipient[key] = item
    return recipient


def _local_name(tag):
    return tag.rpartition("}")[2]


def _soap_text(parent, name):
    return parent.findtext(f"{{{SOAP_NS}}}{name}") or ""


def _soap_weight(operation):
    raw = _soap_text(operation, "WeightKg").strip()
    if not raw:
        raise bad_field("WeightKg", "WeightKg is required")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise bad_field("WeightKg", "WeightKg must be a decimal") from exc
    if not value.is_finite():
        raise bad_field("WeightKg", "WeightKg must be a decimal")
    return _weight(float(value), "WeightKg")


def _soap_service(operation):
    return _service(_soap_text(operation, "Service").strip(), "Service")


def _soap_fill(parent, fields):
    for name, value in fields:
        child = ET.SubElement(parent, f"{{{SOAP_NS}}}{name}")
        if isinstance(value, list):
            _soap_fill(child, value)
        else:
            child.text = value


def soap_envelope(response_name, fields, declaration=True):
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    _soap_fill(ET.SubElement(body, f"{{{SOAP_NS}}}{response_name}"), fields)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=declaration)


def soap_fault_reply(status, code, message):
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    fault = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(fault, "faultcode").text = code
    ET.SubElement(fault, "faultstring").text = message
    body = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return Reply(status, body, "text/xml; charset=utf-8", note=f"soap fault: {message}")


# --------------------------------------------------------------------------- HTTP server


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SimCarrier/1"
    sys_version = ""

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self):
        started = time.monotonic()
        split = urllib.parse.urlsplit(self.path)
        try:
            body = self._read_body()
        except SimError as exc:
            self.close_connection = True
            reply = Reply.json(exc.status, exc.as_json())
        else:
            request = Request(
                method=self.command,
                path=split.path,
                query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
                headers=self.headers,
                body=body,
            )
            reply = self.server.simulator.respond(request)
        if reply.reset:
            self._reset_connection()
        else:
            self._send(reply)
        elapsed = (time.monotonic() - started) * 1000
        outcome = "reset" if reply.reset else str(reply.status)
        note = f" [{reply.note}]" if reply.note else ""
        _logger.info("%s %s -> %s%s (%.0f ms)", self.command, split.path, outcome, note, elapsed)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding"):
            raise SimError(411, "length_required", "send a Content-Length, not chunks")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            raise SimError(400, "bad_request", "invalid Content-Length") from exc
        if length < 0 or length > MAX_BODY:
            raise SimError(413, "too_large", f"bodies are limited to {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _send(self, reply):
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            _logger.info("%s %s: the client went away before the answer", self.command, self.path)

    def _reset_connection(self):
        """Close the socket with a TCP RST: the client sees a connection reset."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the buffered reader holds a reference to the socket
        self.connection.close()

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        """One line per request is written by ``_handle`` instead."""

    def log_message(self, format, *args):
        _logger.info("%s: %s", self.address_string(), format % args)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, simulator):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.simulator = simulator
        super().__init__(address, SimulatorHandler)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            _logger.info("connection from %s ended: %s", client_address[0], type(exc).__name__)
        else:
            _logger.exception("error while serving %s", client_address[0])


# --------------------------------------------------------------------------- command line


def _rate_arg(text):
    try:
        return _as_rate(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number between 0 and 1") from exc


def _positive_arg(text):
    try:
        return _as_positive(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number > 0") from exc


def _non_negative_arg(text):
    try:
        return _as_non_negative(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number >= 0") from exc


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Carrier simulator (REST, SOAP, webhooks).")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="where to write the port once bound")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--webhook-secret")
    secret.add_argument(
        "--webhook-secret-env",
        metavar="NAME",
        help="read the webhook secret from this environment variable (keeps it out of ps)",
    )
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-format", choices=WEBHOOK_FORMATS, default="native")
    parser.add_argument("--webhook-interval", type=_positive_arg, default=1.0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--error-rate", type=_rate_arg, default=0.0)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--timeout-sleep", type=_non_negative_arg, default=15.0)
    parser.add_argument("--duplicate-rate", type=_rate_arg, default=0.0)
    parser.add_argument("--reorder", action="store_true")
    parser.add_argument("--max-lifetime", type=_positive_arg, default=900.0)
    args = parser.parse_args(argv)
    if args.webhook_secret_env:
        args.webhook_secret = os.environ.get(args.webhook_secret_env, "")
        if not args.webhook_secret:
            parser.error(f"--webhook-secret-env: {args.webhook_secret_env} is not set")
    if not is_loopback_host(args.host):
        parser.exit(
            2, f"carrier simulator: refusing to bind {args.host}: loopback addresses only\n"
        )
    if args.latency_ms < 0:
        parser.error("--latency-ms must be >= 0")
    if args.webhook_url:
        try:
            check_webhook_url(args.webhook_url)
        except ValueError as exc:
            parser.error(f"--webhook-url: {exc}")
    if args.webhook_format == "canonical":
        try:
            standard_webhooks_key(args.webhook_secret)
        except ValueError as exc:
            parser.error(f"--webhook-secret: {exc}")
    return args


def spawn(args, log_path=None, timeout=20.0):
    """Start this simulator as a child process on 127.0.0.1 and a free port.

    For tests and benchmarks: ``args`` are command-line options (credentials,
    knobs; ``--host``, ``--port`` and ``--port-file`` are added).  Returns
    ``(process, url)``; the caller stops the process by its PID (it also stops by
    itself after ``--max-lifetime``).
    """
    import subprocess  # noqa: PLC0415 - only the launcher needs it
    import tempfile  # noqa: PLC0415

    port_file = Path(tempfile.mkdtemp(prefix="lsync-sim-")) / "port"
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(  # noqa: S603 - our own script, fixed interpreter
        [
            sys.executable,
            __file__,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(5)
            raise RuntimeError(f"carrier simulator did not start (exit {process.returncode})")
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{int(port_file.read_text().strip())}"


def write_port_file(path, port):
    """Write atomically: a reader sees no file or the whole port number."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="ascii")
    os.replace(temporary, target)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s carrier-sim %(message)s"
    )
    knobs = Knobs(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        duplicate_rate=args.duplicate_rate,
        reorder=args.reorder,
        webhook_url=args.webhook_url or None,
        webhook_format=args.webhook_format,
        webhook_interval=args.webhook_interval,
        timeout_sleep=args.timeout_sleep,
    )
    simulator = Simulator(
        api_key=args.api_key,
        username=args.username,
        password=args.password,
        webhook_secret=args.webhook_secret,
        knobs=knobs,
        seed=args.seed,
    )
    host = "127.0.0.1" if args.host == "localhost" else args.host
    server = SimulatorServer((host, args.port), simulator)
    port = server.server_address[1]
    simulator.base_url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    simulator.start()

    def stop(signum=None, frame=None):
        # shutdown() waits for serve_forever(), which runs on this (main) thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lifetime = threading.Timer(args.max_lifetime, stop)
    lifetime.daemon = True
    lifetime.start()

    if args.port_file:
        write_port_file(args.port_file, port)
    # The line test harnesses wait for (stdout; the request log goes to stderr).
    sys.stdout.write(f"carrier simulator listening on {simulator.base_url}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        lifetime.cancel()
        simulator.stop()
        server.server_close()
        if args.port_file:
            Path(args.port_file).unlink(missing_ok=True)
        _logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
