# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HTTP fakes of real carriers' documented APIs, as karrio speaks to them.

One process fakes one carrier (``--carrier ups|fedex|usps``), on the paths, methods,
authentication and JSON shapes of the carrier's public API as karrio 2026.1.32
sends and reads them (shaped after karrio's own test fixtures,
``modules/connectors/<carrier>/tests``):

- UPS REST: ``POST /security/v1/oauth/token`` (Basic client id:secret,
  client credentials), ``POST /api/rating/v2409/Shop``, ``POST
  /api/shipments/v2409/ship``, ``DELETE /api/shipments/v2409/void/cancel/<id>``,
  ``GET /api/track/v1/details/<number>``; errors as ``{"response": {"errors":
  [{"code", "message"}]}}``.
- FedEx REST: ``POST /oauth/token`` (form client_id/client_secret), ``POST
  /rate/v1/rates/quotes``, ``POST /ship/v1/shipments``, ``PUT
  /ship/v1/shipments/cancel``, ``POST /track/v1/trackingnumbers``; errors as
  ``{"errors": [{"code", "message"}]}``.
- USPS REST v3 (apis.usps.com), for karrio's ``usps`` (domestic) and
  ``usps_international`` extensions: ``POST /oauth2/v3/token`` (form
  client_id/client_secret), ``POST /payments/v3/payment-authorization`` (the
  payment token a label needs, header ``X-Payment-Authorization-Token``),
  ``POST /shipments/v3/options/search`` (prices), ``POST /labels/v3/label`` and
  ``POST /international-labels/v3/international-label`` (one label per parcel,
  answered ``multipart/form-data`` as USPS does without an ``Accept`` header:
  a ``labelMetadata`` JSON part and a base64 ``labelImage`` part), ``DELETE``
  of either label path (cancel), ``GET /tracking/v3/tracking/<number>``;
  errors as ``{"error": {"code", "message", "errors": [{"code", "title",
  "detail"}]}}`` (token errors as OAuth's ``error``/``error_description``).
  Tracking events carry USPS's local ``eventTimestamp`` (no offset) beside
  ``GMTTimestamp``/``GMTOffset``, and a "Notice Left" attempted delivery
  (event code 02) before the delivery, as USPS reports them.

Refusals a real carrier answers (HTTP 400 with its error document): a
recipient postal code ``00000`` (address refused), a parcel over 70 kg, a
domestic-only service on an international lane (UPS Ground ``03``, FedEx
Ground; for USPS, USPS Connect Local outside its ZIP codes and a parcel over
USPS's 70 lb), a client secret ``expired`` (401 on the token call).

Faults: the shared ones (``POST /_sim/faults``: 500, 502, 503, 429, timeout,
reset; for bookings also *after* the booking was stored) plus malformed answers
(``POST /_fake/malformed {"next": ["html", "garbage"]}``: an HTML 502 page, or a
200 with a truncated JSON body after the booking was stored).
``GET /_sim/stats``: ``bookings`` (stored), ``labels`` (label documents issued),
``bookings_by_reference`` (our reference -> count: more than 1 is a double booking).
"""

import base64
import itertools
import json
import struct
import time
import urllib.parse
import zlib

from odoo.addons.logistics_sync_base.simulator.app import SimulatorApp
from odoo.addons.logistics_sync_base.simulator.pdf import build_pdf
from odoo.addons.logistics_sync_base.simulator.server import Reply

MAX_KG = 70.0
EXPIRED_SECRET = "expired"  # noqa: S105 - the fake's expired credential
REFUSED_ZIP = "00000"
UPS_DOMESTIC_ONLY = {"03"}  # UPS Ground
FEDEX_DOMESTIC_ONLY = {"FEDEX_GROUND", "GROUND_HOME_DELIVERY"}
UPS_SERVICES = {
    "11": ("UPS Standard", 14.5, 3),
    "65": ("UPS Saver", 27.9, 1),
    "03": ("Ground", 9.9, 4),
}
FEDEX_SERVICES = {
    "FEDEX_INTERNATIONAL_PRIORITY": (31.2, 1),
    "INTERNATIONAL_ECONOMY": (19.8, 4),
    "FEDEX_GROUND": (11.1, 3),
}


CARRIERS = ("ups", "fedex", "usps")
USPS_MAX_LB = 70.0
USPS_DOMESTIC = {
    # mail class: (product name, price USD, commitment)
    "PRIORITY_MAIL": ("Priority Mail", 10.40, "2 Days"),
    "USPS_GROUND_ADVANTAGE": ("USPS Ground Advantage", 7.85, "5 Days"),
    "PRIORITY_MAIL_EXPRESS": ("Priority Mail Express", 31.10, "1 Day"),
}
USPS_INTERNATIONAL = {
    "PRIORITY_MAIL_INTERNATIONAL": ("Priority Mail International", 58.90, "6 Days"),
    "PRIORITY_MAIL_EXPRESS_INTERNATIONAL": ("Priority Mail Express International", 75.20, "3 Days"),
}
USPS_CONNECT_LOCAL_ZIPS = ("100",)  # USPS Connect Local: only within these ZIP3 areas
USPS_OFFSET_HOURS = -5  # the fake's post offices are on Eastern Standard Time
USPS_BOUNDARY = "----usps-fake-boundary-7MA4YWxkTrZu0gW"


def tiny_png():
    """A 4x4 white PNG (standard library only): UPS returns label images."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG_B64 = base64.b64encode(tiny_png()).decode()


def zpl(number):
    return f"^XA^FO50,50^A0N,40,40^FD{number}^FS^XZ"


class KarrioCarrierFake(SimulatorApp):
    """One real carrier's API (UPS, FedEx or USPS), faults included."""

    def __init__(self, *, carrier, client_id, client_secret, knobs, seed):
        if carrier not in CARRIERS:
            raise ValueError("carrier: ups, fedex or usps")
        self.carrier = carrier
        self.client_id = client_id
        self.client_secret = client_secret
        self.numbers = itertools.count(1)
        self.tokens = set()  # kept across resets: a reset is not a revocation
        super().__init__(knobs=knobs, seed=seed)
        self.reset_state()

    storing_routes = (
        ("POST", r"/api/shipments/v2409/ship"),
        ("POST", r"/ship/v1/shipments"),
        ("POST", r"/labels/v3/label"),
        ("POST", r"/international-labels/v3/international-label"),
    )

    def api_routes(self):
        return [*self.carrier_routes(), *self.lookup_routes()]

    def carrier_routes(self):
        if self.carrier == "ups":
            return [
                ("POST", r"/security/v1/oauth/token", self.ups_token, "token"),
                ("POST", r"/api/rating/v2409/Shop", self.ups_rate, "api"),
                ("POST", r"/api/shipments/v2409/ship", self.ups_ship, "api"),
                (
                    "DELETE",
                    r"/api/shipments/v2409/void/cancel/(?P<number>[^/]+)",
                    self.ups_void,
                    "api",
                ),
                ("GET", r"/api/track/v1/details/(?P<number>[^/]+)", self.ups_track, "api"),
                ("POST", r"/_fake/malformed", self.post_malformed, "control"),
                ("GET", r"/_fake/last-booking", self.get_last_booking, "control"),
            ]
        if self.carrier == "usps":
            return [
                ("POST", r"/oauth2/v3/token", self.usps_token, "token"),
                ("POST", r"/payments/v3/payment-authorization", self.usps_payment, "api"),
                ("POST", r"/shipments/v3/options/search", self.usps_rate, "api"),
                ("POST", r"/labels/v3/label", self.usps_label, "api"),
                (
                    "POST",
                    r"/international-labels/v3/international-label",
                    self.usps_international_label,
                    "api",
                ),
                (
                    "DELETE",
                    r"/(?:labels/v3/label|international-labels/v3/international-label)/(?P<number>[^/]+)",
                    self.usps_cancel,
                    "api",
                ),
                ("GET", r"/tracking/v3/tracking/(?P<number>[^/]+)", self.usps_track, "api"),
                ("POST", r"/_fake/malformed", self.post_malformed, "control"),
                ("GET", r"/_fake/last-booking", self.get_last_booking, "control"),
            ]
        return [
            ("POST", r"/oauth/token", self.fedex_token, "token"),
            ("POST", r"/rate/v1/rates/quotes", self.fedex_rate, "api"),
            ("POST", r"/ship/v1/shipments", self.fedex_ship, "api"),
            ("PUT", r"/ship/v1/shipments/cancel", self.fedex_cancel, "api"),
            ("POST", r"/track/v1/trackingnumbers", self.fedex_track, "api"),
            ("POST", r"/_fake/malformed", self.post_malformed, "control"),
            ("GET", r"/_fake/last-booking", self.get_last_booking, "control"),
        ]

    # state --------------------------------------------------------------------
    def reset_state(self):
        res = super().reset_state()
        with self._lock:
            self.bookings = {}  # number -> {reference, cancelled, parcels, at}
            self.by_reference = {}
            self.malformed = []
            self.labels = 0
            self.returns_by_reference = {}  # return shipments: our reference -> count
            self.return_labels = 0
            self.last_booking = {}
            self.last_booking_headers = {}
            self.lookup_faults = []  # the next reference lookups' faults
            self.lookups = 0
            self.recovered_labels = 0  # UPS label recovery: labels issued again
        return res

    def stats(self):
        doc = super().stats()
        with self._lock:
            doc.update(
                bookings=len(self.bookings),
                labels=self.labels,
                bookings_by_reference=dict(self.by_reference),
                numbers_by_reference={
                    ref: [n for n, b in self.bookings.items() if b["reference"] == ref]
                    for ref in self.by_reference
                },
                cancelled=sum(1 for b in self.bookings.values() if b["cancelled"]),
                returns_by_reference=dict(self.returns_by_reference),
                return_labels=self.return_labels,
                lookups=self.lookups,
                recovered_labels=self.recovered_labels,
            )
        return doc

    def get_last_booking(self, request):
        """The body of the last booking request (tests check what was sent)."""
        with self._lock:
            return Reply.json(200, {**self.last_booking, "_headers": self.last_booking_headers})

    def post_malformed(self, request):
        body = json.loads(request.body or b"{}")
        kinds = body.get("next") or []
        if not all(k in ("html", "garbage") for k in kinds):
            return Reply.json(400, {"error": "bad_request", "message": "html or garbage"})
        with self._lock:
            self.malformed.extend(kinds)
        return Reply.json(200, {"status": "scripted"})

    def _next_malformed(self, storing):
        with self._lock:
            for position, kind in enumerate(self.malformed):
                if kind == "html" or storing:
                    del self.malformed[position]
                    return kind
        return None

    def respond(self, request):
        route, _params = self._match(request.method, request.path)
        storing = bool(route and route.may_book)
        kind = self._next_malformed(storing) if route and route.kind == "api" else None
        if kind == "html":
            return Reply(
                502,
                b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
                "text/html",
            )
        reply = super().respond(request)
        if kind == "garbage":
            return Reply(200, reply.body[: max(1, len(reply.body) // 3)], "application/json")
        return reply

    # authentication -----------------------------------------------------------
    def authorized(self, route, headers):
        if route.kind == "token":
            return True  # the token routes check their own credentials
        value = headers.get("Authorization") or headers.get("authorization") or ""
        with self._lock:
            return value.startswith("Bearer ") and value[7:] in self.tokens

    def _issue_token(self):
        token = base64.urlsafe_b64encode(f"{self.carrier}-{time.monotonic_ns()}".encode()).decode()
        with self._lock:
            self.tokens.add(token)
        return token

    def ups_token(self, request):
        given = request.headers.get("Authorization") or ""
        try:
            pair = base64.b64decode(given.removeprefix("Basic ")).decode()
        except ValueError:
            pair = ""
        if pair != f"{self.client_id}:{self.client_secret}" or self.client_secret.startswith(
            EXPIRED_SECRET
        ):
            return Reply.json(
                401,
                {
                    "response": {
                        "errors": [{"code": "250003", "message": "Invalid Access License number"}]
                    }
                },
            )
        return Reply.json(
            200,
            {
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "client_id": self.client_id,
                "access_token": self._issue_token(),
                "expires_in": "14399",
                "status": "approved",
            },
        )

    def fedex_token(self, request):
        form = urllib.parse.parse_qs(request.body.decode())
        ok = form.get("client_id") == [self.client_id] and form.get("client_secret") == [
            self.client_secret
        ]
        if not ok or self.client_secret.startswith(EXPIRED_SECRET):
            return Reply.json(
                401,
                {
                    "transactionId": "fake",
                    "errors": [
                        {
                            "code": "NOT.AUTHORIZED.ERROR",
                            "message": "The given client credentials were not valid. Please modify your request and try again.",
                        }
                    ],
                },
            )
        return Reply.json(
            200,
            {
                "access_token": self._issue_token(),
                "token_type": "bearer",
                "expires_in": 3599,
                "scope": "CXS",
            },
        )

    # helpers ------------------------------------------------------------------
    def _new_number(self):
        if self.carrier == "usps":
            return f"92055{next(self.numbers):017d}"
        prefix = "1Z999AA1" if self.carrier == "ups" else "79"
        return f"{prefix}{next(self.numbers):010d}"

    def _store(self, reference, parcels, is_return=False):
        number = self._new_number()
        with self._lock:
            self.bookings[number] = {
                "reference": reference,
                "cancelled": False,
                "parcels": parcels,
                "at": time.time(),
                "return": is_return,
            }
            if is_return:
                self.returns_by_reference[reference] = (
                    self.returns_by_reference.get(reference, 0) + 1
                )
                self.return_labels += parcels
            else:
                self.by_reference[reference] = self.by_reference.get(reference, 0) + 1
                self.labels += parcels
        return number

    # UPS ----------------------------------------------------------------------
    @staticmethod
    def _ups_error(code, message, status=400):
        return Reply.json(status, {"response": {"errors": [{"code": code, "message": message}]}})

    def _ups_check(self, shipment):
        ship_to = shipment.get("ShipTo", {}).get("Address", {})
        shipper = shipment.get("Shipper", {}).get("Address", {})
        if ship_to.get("PostalCode") == REFUSED_ZIP:
            return self._ups_error(
                "120206", "Missing or invalid ship to StateProvinceCode/PostalCode"
            )
        for package in shipment.get("Package") or []:
            weight = float(package.get("PackageWeight", {}).get("Weight") or 0)
            unit = package.get("PackageWeight", {}).get("UnitOfMeasurement", {}).get("Code")
            kg = weight * 0.4536 if unit == "LBS" else weight
            if kg > MAX_KG:
                return self._ups_error(
                    "120601",
                    "The maximum per package weight for the selected service has been exceeded",
                )
        code = (shipment.get("Service") or {}).get("Code")
        if code in UPS_DOMESTIC_ONLY and ship_to.get("CountryCode") != shipper.get("CountryCode"):
            return self._ups_error(
                "111217", "The requested service is unavailable between the selected locations."
            )
        return None

    def ups_rate(self, request):
        body = json.loads(request.body or b"{}")
        shipment = body.get("RateRequest", {}).get("Shipment", {})
        refused = self._ups_check({**shipment, "Service": None})
        if refused:
            return refused
        international = shipment.get("ShipTo", {}).get("Address", {}).get(
            "CountryCode"
        ) != shipment.get("Shipper", {}).get("Address", {}).get("CountryCode")
        rated = []
        for code, (_name, price, days) in UPS_SERVICES.items():
            if international and code in UPS_DOMESTIC_ONLY:
                continue
            money = {"CurrencyCode": "EUR", "MonetaryValue": f"{price:.2f}"}
            rated.append(
                {
                    "Service": {"Code": code, "Description": ""},
                    "BillingWeight": {"UnitOfMeasurement": {"Code": "KGS"}, "Weight": "1.0"},
                    "TransportationCharges": money,
                    "BaseServiceCharge": money,
                    "ServiceOptionsCharges": {"CurrencyCode": "EUR", "MonetaryValue": "0.00"},
                    "TotalCharges": money,
                    "GuaranteedDelivery": {"BusinessDaysInTransit": str(days)},
                    "RatedPackage": [{"Weight": "1.0"}],
                }
            )
        return Reply.json(
            200,
            {
                "RateResponse": {
                    "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                    "RatedShipment": rated,
                }
            },
        )

    def ups_ship(self, request):
        body = json.loads(request.body or b"{}")
        with self._lock:
            self.last_booking = body
            self.last_booking_headers = {
                k: v for k, v in request.headers.items() if k.lower() != "authorization"
            }
        shipment = body.get("ShipmentRequest", {}).get("Shipment", {})
        refused = self._ups_check(shipment)
        if refused:
            return refused
        fmt = (
            body.get("ShipmentRequest", {})
            .get("LabelSpecification", {})
            .get("LabelImageFormat", {})
            .get("Code", "PNG")
        )
        reference = (
            (shipment.get("ReferenceNumber") or {}).get("Value")
            or body.get("ShipmentRequest", {})
            .get("Request", {})
            .get("TransactionReference", {})
            .get("CustomerContext")
            or ""
        )
        packages = shipment.get("Package") or [{}]
        # a return (ReturnService, e.g. 9 "print return label"): the customer ships to us
        number = self._store(
            reference, len(packages), is_return=bool(shipment.get("ReturnService"))
        )
        self._index_ups(number, shipment)
        results = [
            {
                "TrackingNumber": f"{number}{index}" if len(packages) > 1 else number,
                "ShippingLabel": {
                    "ImageFormat": {"Code": fmt, "Description": fmt},
                    "GraphicImage": base64.b64encode(zpl(number).encode()).decode()
                    if fmt == "ZPL"
                    else PNG_B64,
                },
            }
            for index in range(len(packages))
        ]
        money = {"CurrencyCode": "EUR", "MonetaryValue": "14.50"}
        return Reply.json(
            200,
            {
                "ShipmentResponse": {
                    "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                    "ShipmentResults": {
                        "ShipmentCharges": {"TransportationCharges": money, "TotalCharges": money},
                        "BillingWeight": {"UnitOfMeasurement": {"Code": "KGS"}, "Weight": "1.0"},
                        "ShipmentIdentificationNumber": number,
                        "PackageResults": results,
                    },
                }
            },
        )

    def ups_void(self, request, number):
        with self._lock:
            booking = self.bookings.get(number)
            if booking:
                booking["cancelled"] = True
        if not booking:
            return self._ups_error("190117", "The shipment identification number is invalid")
        return Reply.json(
            200,
            {
                "VoidShipmentResponse": {
                    "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                    "SummaryResult": {"Status": {"Code": "1", "Description": "Voided"}},
                }
            },
        )

    def _progress(self, booking):
        """Picked up at once, in transit after 1 s, delivered after 3 s (fake time)."""
        age = time.time() - booking["at"]
        steps = [("P", "PU", "Pickup Scan", 0)]
        if age > 1:
            steps.append(("I", "DP", "Departed from Facility", 1))
        if age > 3:
            steps.append(("D", "KB", "DELIVERED", 3))
        return steps

    def ups_track(self, request, number):
        with self._lock:
            booking = self.bookings.get(number)
        if not booking:
            return Reply.json(
                200,
                {
                    "trackResponse": {
                        "shipment": [
                            {
                                "inquiryNumber": number,
                                "warnings": [
                                    {"code": "TW0001", "message": "Tracking Information Not Found"}
                                ],
                            }
                        ]
                    }
                },
            )
        activity = [
            {
                "location": {"address": {"city": "Koeln", "country": "DE"}},
                "status": {"type": kind, "code": code, "description": text},
                # local time at the scan (Koeln, UTC+1) beside UPS's GMT fields
                "date": time.strftime("%Y%m%d", time.gmtime(booking["at"] + offset + 3600)),
                "time": time.strftime("%H%M%S", time.gmtime(booking["at"] + offset + 3600)),
                "gmtDate": time.strftime("%Y%m%d", time.gmtime(booking["at"] + offset)),
                "gmtTime": time.strftime("%H:%M:%S", time.gmtime(booking["at"] + offset)),
                "gmtOffset": "+01:00",
            }
            for kind, code, text, offset in reversed(self._progress(booking))
        ]
        return Reply.json(
            200,
            {
                "trackResponse": {
                    "shipment": [
                        {
                            "inquiryNumber": number,
                            "package": [
                                {"trackingNumber": number, "deliveryDate": [], "activity": activity}
                            ],
                        }
                    ]
                }
            },
        )

    # FedEx --------------------------------------------------------------------
    @staticmethod
    def _fedex_error(code, message, status=400):
        return Reply.json(
            status, {"transactionId": "fake", "errors": [{"code": code, "message": message}]}
        )

    def _fedex_check(self, shipment, service):
        recipients = shipment.get("recipients") or [shipment.get("recipient") or {}]
        address = (recipients[0] or {}).get("address", {})
        shipper = (shipment.get("shipper") or {}).get("address", {})
        if address.get("postalCode") == REFUSED_ZIP:
            return self._fedex_error(
                "RECIPIENT.POSTALCODE.INVALID", "Recipient postal code is invalid."
            )
        for item in shipment.get("requestedPackageLineItems") or []:
            weight = item.get("weight") or {}
            kg = float(weight.get("value") or 0) * (0.4536 if weight.get("units") == "LB" else 1)
            if kg > MAX_KG:
                return self._fedex_error(
                    "PACKAGE.WEIGHT.EXCEEDED",
                    "The package weight exceeds the maximum for this service.",
                )
        if service in FEDEX_DOMESTIC_ONLY and address.get("countryCode") != shipper.get(
            "countryCode"
        ):
            return self._fedex_error(
                "SERVICE.UNAVAILABLE.ERROR",
                "The requested service is not available between the selected locations.",
            )
        return None

    def fedex_rate(self, request):
        body = json.loads(request.body or b"{}")
        shipment = body.get("requestedShipment", {})
        refused = self._fedex_check(shipment, None)
        if refused:
            return refused
        address = (shipment.get("recipient") or (shipment.get("recipients") or [{}])[0]).get(
            "address", {}
        )
        international = address.get("countryCode") != shipment.get("shipper", {}).get(
            "address", {}
        ).get("countryCode")
        details = [
            {
                "serviceType": service,
                "serviceName": service.replace("_", " ").title(),
                "ratedShipmentDetails": [
                    {
                        "rateType": "ACCOUNT",
                        "totalNetCharge": price,
                        "totalBaseCharge": price,
                        "currency": "EUR",
                        "shipmentRateDetail": {"currency": "EUR"},
                    }
                ],
                "commit": {
                    "transitDays": {"minimumTransitTime": "ONE_DAY" if days == 1 else "THREE_DAYS"}
                },
            }
            for service, (price, days) in FEDEX_SERVICES.items()
            if not (international and service in FEDEX_DOMESTIC_ONLY)
        ]
        return Reply.json(200, {"transactionId": "fake", "output": {"rateReplyDetails": details}})

    def fedex_ship(self, request):
        body = json.loads(request.body or b"{}")
        with self._lock:
            self.last_booking = body
            self.last_booking_headers = {
                k: v for k, v in request.headers.items() if k.lower() != "authorization"
            }
        shipment = body.get("requestedShipment", {})
        refused = self._fedex_check(shipment, shipment.get("serviceType"))
        if refused:
            return refused
        fmt = (shipment.get("labelSpecification") or {}).get("imageType") or "PDF"
        items = shipment.get("requestedPackageLineItems") or [{}]
        references = [
            ref.get("value")
            for item in items
            for ref in item.get("customerReferences") or []
            if ref.get("value")
        ]
        special = shipment.get("shipmentSpecialServices") or {}
        is_return = bool(special.get("returnShipmentDetail")) or "RETURN_SHIPMENT" in (
            special.get("specialServiceTypes") or []
        )
        number = self._store(references[0] if references else "", len(items), is_return)
        self._index_fedex(number, shipment)
        pieces = []
        for index, _item in enumerate(items):
            piece = f"{number}{index}" if len(items) > 1 else number
            is_zpl = fmt.startswith("ZPL")
            content = zpl(piece).encode() if is_zpl else build_pdf([f"FedEx {piece}"])
            pieces.append(
                {
                    "masterTrackingNumber": number,
                    "trackingNumber": piece,
                    "trackingIdType": "FEDEX",
                    "serviceCategory": "EXPRESS",
                    "packageDocuments": [
                        {
                            "contentType": "LABEL",
                            "copiesToPrint": 1,
                            "encodedLabel": base64.b64encode(content).decode(),
                            "docType": "ZPLII" if is_zpl else "PDF",
                        }
                    ],
                }
            )
        return Reply.json(
            200,
            {
                "transactionId": "fake",
                "output": {
                    "transactionShipments": [
                        {
                            "masterTrackingNumber": number,
                            "serviceType": shipment.get("serviceType"),
                            "shipDatestamp": time.strftime("%Y-%m-%d"),
                            "pieceResponses": pieces,
                            "completedShipmentDetail": {"carrierCode": "FDXE"},
                        }
                    ]
                },
            },
        )

    def fedex_cancel(self, request):
        body = json.loads(request.body or b"{}")
        number = (
            (body.get("trackingNumber") or {}).get("trackingNumber")
            if isinstance(body.get("trackingNumber"), dict)
            else body.get("trackingNumber")
        )
        with self._lock:
            booking = self.bookings.get(str(number))
            if booking:
                booking["cancelled"] = True
        if not booking:
            return self._fedex_error(
                "TRACKING.TRACKINGNUMBER.NOTFOUND", "Tracking number not found."
            )
        return Reply.json(
            200,
            {
                "transactionId": "fake",
                "output": {
                    "cancelledShipment": True,
                    "message": "Shipment is successfully cancelled",
                },
            },
        )

    def fedex_track(self, request):
        body = json.loads(request.body or b"{}")
        results = []
        for info in body.get("trackingInfo") or []:
            number = (info.get("trackingNumberInfo") or {}).get("trackingNumber")
            with self._lock:
                booking = self.bookings.get(str(number))
            if not booking:
                results.append(
                    {
                        "trackingNumber": number,
                        "trackResults": [
                            {
                                "trackingNumberInfo": {"trackingNumber": number},
                                "error": {
                                    "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                                    "message": "Tracking number cannot be found.",
                                },
                            }
                        ],
                    }
                )
                continue
            codes = {"P": ("PU", "Picked up"), "I": ("IT", "In transit"), "D": ("DL", "Delivered")}
            events = [
                {
                    "date": time.strftime(
                        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(booking["at"] + offset)
                    ),
                    "eventType": codes[kind][0],
                    "eventDescription": codes[kind][1],
                    "derivedStatusCode": codes[kind][0],
                    "scanLocation": {"city": "MEMPHIS", "countryCode": "US"},
                }
                for kind, _code, _text, offset in reversed(self._progress(booking))
            ]
            results.append(
                {
                    "trackingNumber": number,
                    "trackResults": [
                        {
                            "trackingNumberInfo": {"trackingNumber": number},
                            "latestStatusDetail": {
                                "code": events[0]["eventType"],
                                "derivedCode": events[0]["eventType"],
                                "description": events[0]["eventDescription"],
                            },
                            "dateAndTimes": [],
                            "scanEvents": events,
                        }
                    ],
                }
            )
        return Reply.json(
            200, {"transactionId": "fake", "output": {"completeTrackResults": results}}
        )

    # USPS ---------------------------------------------------------------------
    @staticmethod
    def _usps_error(code, title, detail, status=400, api="/labels/v3"):
        return Reply.json(
            status,
            {
                "apiVersion": api,
                "error": {
                    "code": str(status),
                    "message": title,
                    "errors": [
                        {"status": str(status), "code": code, "title": title, "detail": detail}
                    ],
                },
            },
        )

    def usps_token(self, request):
        form = urllib.parse.parse_qs(request.body.decode())
        ok = form.get("client_id") == [self.client_id] and form.get("client_secret") == [
            self.client_secret
        ]
        if form.get("grant_type") != ["client_credentials"] or not ok:
            return Reply.json(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed: unknown client or wrong secret.",
                },
            )
        if self.client_secret.startswith(EXPIRED_SECRET):
            return Reply.json(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed: the client secret has expired.",
                },
            )
        return Reply.json(
            200,
            {
                "access_token": self._issue_token(),
                "token_type": "Bearer",
                "issued_at": int(time.time() * 1000),
                "expires_in": 28799,
                "status": "approved",
                "scope": " ".join((form.get("scope") or [""])[0].split()),
                "issuer": "api.usps.com",
                "client_id": self.client_id,
            },
        )

    def usps_payment(self, request):
        body = json.loads(request.body or b"{}")
        roles = {role.get("roleName") for role in body.get("roles") or []}
        if roles != {"LABEL_OWNER", "PAYER"} or not all(
            role.get("accountNumber") for role in body.get("roles") or []
        ):
            return self._usps_error(
                "PAYMENT.ROLES",
                "Invalid payment roles",
                "A LABEL_OWNER and a PAYER role with an account number are required.",
                api="/payments/v3",
            )
        return Reply.json(
            200, {"roles": body["roles"], "paymentAuthorizationToken": self._issue_token()}
        )

    def _usps_authorized_payment(self, request):
        token = request.headers.get("X-Payment-Authorization-Token") or ""
        with self._lock:
            return token in self.tokens

    def _usps_check(self, to_zip, package, mail_class, api="/labels/v3"):
        if to_zip == REFUSED_ZIP:
            return self._usps_error(
                "010101",
                "Address Not Found",
                f"The destination ZIP Code {to_zip} is not valid.",
                api=api,
            )
        if float(package.get("weight") or 0) > USPS_MAX_LB:
            return self._usps_error(
                "020406",
                "Weight limit exceeded",
                "The package weight exceeds the maximum of 70 lbs for this mail class.",
                api=api,
            )
        if mail_class == "USPS_CONNECT_LOCAL" and not str(to_zip).startswith(
            USPS_CONNECT_LOCAL_ZIPS
        ):
            return self._usps_error(
                "030220",
                "Mail class not available",
                "USPS Connect Local is not available between these ZIP Codes.",
                api=api,
            )
        return None

    def usps_rate(self, request):
        body = json.loads(request.body or b"{}")
        package = body.get("packageDescription") or {}
        country = body.get("destinationCountryCode")
        international = bool(country) and country != "US"
        to_zip = body.get("foreignPostalCode") if international else body.get("destinationZIPCode")
        wanted = package.get("mailClass") or "ALL"
        refused = self._usps_check(to_zip, package, wanted, api="/shipments/v3")
        if refused:
            return refused
        table = USPS_INTERNATIONAL if international else USPS_DOMESTIC
        classes = [c for c in table if wanted in ("ALL", c)]
        if not classes:
            return self._usps_error(
                "030221",
                "Mail class not available",
                f"The mail class {wanted} is not offered for this destination.",
                api="/shipments/v3",
            )
        options = []
        for mail_class in classes:
            name, price, commitment = table[mail_class]
            price = round(price + 0.5 * float(package.get("weight") or 0), 2)
            options.append(
                {
                    "mailClass": mail_class,
                    "rateOptions": [
                        {
                            "commitment": {"name": commitment, "scheduleDeliveryDate": None},
                            "totalPrice": price,
                            "totalBasePrice": price,
                            "rates": [
                                {
                                    "SKU": f"DPXX0XXXXX{len(options):05d}",
                                    "description": name,
                                    "priceType": "RETAIL",
                                    "price": price,
                                    "weight": package.get("weight"),
                                    "mailClass": mail_class,
                                    "productName": name,
                                    "zone": "04",
                                }
                            ],
                            "extraServices": [],
                        }
                    ],
                }
            )
        return Reply.json(
            200,
            {
                "originZIPCode": body.get("originZIPCode"),
                "destinationZIPCode": to_zip,
                "pricingOptions": [{"priceType": "RETAIL", "shippingOptions": options}],
            },
        )

    def _usps_multipart(self, metadata, image, filename):
        parts = [
            f"--{USPS_BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="labelMetadata"\r\n'
            "Content-Type: application/json\r\n\r\n" + json.dumps(metadata) + "\r\n",
            f"--{USPS_BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="labelImage"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n" + image + "\r\n",
            f"--{USPS_BOUNDARY}--\r\n",
        ]
        return Reply(200, "".join(parts).encode(), f"multipart/form-data; boundary={USPS_BOUNDARY}")

    def _usps_book(self, request, international):
        api = "/international-labels/v3" if international else "/labels/v3"
        body = json.loads(request.body or b"{}")
        with self._lock:
            self.last_booking = body
        if not self._usps_authorized_payment(request):
            return self._usps_error(
                "PAYMENT.TOKEN",
                "Unauthorized",
                "The payment authorization token is missing or invalid.",
                status=401,
                api=api,
            )
        package = body.get("packageDescription") or {}
        to = body.get("toAddress") or {}
        country = to.get("countryISOAlpha2Code") or to.get("country") or "US"
        to_zip = to.get("postalCode") if international else to.get("ZIPCode")
        refused = self._usps_check(to_zip, package, package.get("mailClass"), api=api)
        if refused:
            return refused
        table = USPS_INTERNATIONAL if international else USPS_DOMESTIC
        if package.get("mailClass") not in table or (international and country == "US"):
            return self._usps_error(
                "030221",
                "Mail class not available",
                f"The mail class {package.get('mailClass')} is not offered for this destination.",
                api=api,
            )
        if international and not (body.get("customsForm") or {}).get("contents"):
            return self._usps_error(
                "040110",
                "Customs form required",
                "An international label needs a customs form with its contents.",
                api=api,
            )
        references = [
            ref.get("referenceNumber")
            for ref in package.get("customerReference") or []
            if ref.get("referenceNumber")
        ]
        number = self._new_number()
        if international:
            number = f"LX{number[-9:]}US"
        reference = references[0] if references else ""
        with self._lock:
            self.bookings[number] = {
                "reference": reference,
                "cancelled": False,
                "parcels": 1,
                "at": time.time(),
                "international": international,
            }
            # USPS has no multi-piece shipment: one label (one request) per parcel
            self.by_reference[reference] = self.by_reference.get(reference, 0) + 1
            self.labels += 1
        name, price, commitment = table[package["mailClass"]]
        metadata = {
            "labelAddress": {"streetAddress": to.get("streetAddress"), "city": to.get("city")},
            "routingInformation": "420" + str(to_zip or "")[:5],
            "trackingNumber": number,
            "postage": price,
            "extraServices": [],
            "zone": "04",
            "commitment": {"name": commitment, "scheduleDeliveryDate": None},
            "weightUOM": "lb",
            "weight": package.get("weight"),
            "fees": [],
            "labelBrokerID": "",
            "SKU": "DPXX0XXXXX00000",
        }
        if international:
            del metadata["commitment"]  # not in the international label's metadata
        image = base64.b64encode(build_pdf([f"USPS {name} {number}"])).decode()
        return self._usps_multipart(metadata, image, "labelImage.pdf")

    def usps_label(self, request):
        return self._usps_book(request, international=False)

    def usps_international_label(self, request):
        return self._usps_book(request, international=True)

    def usps_cancel(self, request, number):
        if not self._usps_authorized_payment(request):
            return self._usps_error(
                "PAYMENT.TOKEN",
                "Unauthorized",
                "The payment authorization token is missing or invalid.",
                status=401,
            )
        with self._lock:
            booking = self.bookings.get(number)
            if booking:
                booking["cancelled"] = True
        if not booking:
            return self._usps_error(
                "010404", "Label not found", f"No label with tracking number {number}.", 404
            )
        return Reply.json(200, {"trackingNumber": number, "status": "CANCELED"})

    def _usps_events(self, booking):
        """Accepted at once, in transit after 1 s, a delivery attempt (notice left)
        after 2 s, delivered after 3 s: local Eastern times as USPS writes them."""
        age = time.time() - booking["at"]
        steps = [("USPS picked up item", "03", 0)]
        if age > 1:
            steps.append(("In Transit to Next Facility", "NT", 1))
        if age > 2:
            steps.append(("Notice Left (No Authorized Recipient Available)", "02", 2))
        if age > 3:
            steps.append(("Delivered, In/At Mailbox", "01", 3))
        events = []
        for text, code, offset in reversed(steps):
            at = booking["at"] + offset
            events.append(
                {
                    "eventType": text,
                    "eventTimestamp": time.strftime(
                        "%Y-%m-%dT%H:%M:%S", time.gmtime(at + USPS_OFFSET_HOURS * 3600)
                    ),
                    "GMTTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
                    "GMTOffset": f"{USPS_OFFSET_HOURS:+03d}:00",
                    "eventCountry": None,
                    "eventCity": "NEW YORK",
                    "eventState": "NY",
                    "eventZIP": "10001",
                    "eventCode": code,
                    "authorizedAgent": False,
                }
            )
        return events

    def usps_track(self, request, number):
        with self._lock:
            booking = self.bookings.get(number)
        if not booking:
            return self._usps_error(
                "404",
                "Tracking number not found",
                f"The tracking number {number} cannot be found.",
                404,
                api="/tracking/v3",
            )
        events = self._usps_events(booking)
        latest = events[0]["eventType"]
        category = "Delivered" if latest.startswith("Delivered") else "In Transit"
        return Reply.json(
            200,
            {
                "trackingNumber": number,
                "status": latest,
                "statusCategory": category,
                "statusSummary": f"Your item: {latest}.",
                "mailClass": "PRIORITY_MAIL",
                "originZIP": "10001",
                "destinationZIP": "10001",
                "trackingEvents": events,
            },
        )

    # reference lookups (UPS "Track by Reference Number", FedEx "Track by References")
    # -----------------------------------------------------------------------------
    # A booking is found by the references the carrier indexes: UPS's
    # ReferenceNumber of the shipment or of a package (not CustomerContext), FedEx's
    # CUSTOMER_REFERENCE of a package; shipped within the asked dates.
    # ``POST /_fake/lookup-faults {"next": ["500", "503", "429", "timeout"]}``: the
    # next lookups fail so (the lookup itself, not the booking).
    def lookup_routes(self):
        control = [("POST", r"/_fake/lookup-faults", self.post_lookup_faults, "control")]
        if self.carrier == "ups":
            return [
                (
                    "GET",
                    r"/api/track/v1/reference/details/(?P<reference>[^/]+)",
                    self.ups_track_by_reference,
                    "api",
                ),
                ("POST", r"/api/labels/v1/recovery", self.ups_label_recovery, "api"),
                *control,
            ]
        if self.carrier == "fedex":
            return [
                ("POST", r"/track/v1/referencenumbers", self.fedex_track_by_reference, "api"),
                *control,
            ]
        return []  # USPS documents no lookup by the sender's reference

    def post_lookup_faults(self, request):
        body = json.loads(request.body or b"{}")
        kinds = body.get("next") or []
        if not all(k in ("500", "503", "429", "timeout") for k in kinds):
            return Reply.json(400, {"error": "bad_request", "message": "500, 503, 429 or timeout"})
        with self._lock:
            self.lookup_faults.extend(kinds)
        return Reply.json(200, {"status": "scripted"})

    def _lookup_fault(self):
        """The scripted fault of this lookup (a reply), or None; counts the lookup."""
        with self._lock:
            self.lookups += 1
            kind = self.lookup_faults.pop(0) if self.lookup_faults else None
        if kind == "timeout":
            time.sleep(self.knobs.timeout_sleep)  # then answers, too late
            return None
        if kind:
            status = int(kind)
            return Reply.json(
                status,
                {"response": {"errors": [{"code": "9999", "message": f"injected {kind}"}]}}
                if self.carrier == "ups"
                else {
                    "transactionId": "fake",
                    "errors": [{"code": "SYSTEM.UNAVAILABLE.EXCEPTION", "message": "injected"}],
                },
            )
        return None

    def _index(self, number, references, postal_code, country):
        with self._lock:
            self.bookings[number].update(
                searchable=[r for r in references if r],
                postal_code=postal_code,
                country=country,
            )

    def _index_ups(self, number, shipment):
        references = [(shipment.get("ReferenceNumber") or {}).get("Value")]
        for package in shipment.get("Package") or []:
            found = package.get("ReferenceNumber") or []
            for ref in found if isinstance(found, list) else [found]:
                references.append(ref.get("Value"))
        address = (shipment.get("ShipTo") or {}).get("Address") or {}
        self._index(number, references, address.get("PostalCode"), address.get("CountryCode"))

    def _index_fedex(self, number, shipment):
        references = [
            ref.get("value")
            for item in shipment.get("requestedPackageLineItems") or []
            for ref in item.get("customerReferences") or []
            if ref.get("customerReferenceType") == "CUSTOMER_REFERENCE"
        ]
        recipients = shipment.get("recipients") or [shipment.get("recipient") or {}]
        address = (recipients[0] or {}).get("address") or {}
        self._index(number, references, address.get("postalCode"), address.get("countryCode"))

    def _by_reference(self, reference, start, end):
        """``[(number, booking)]`` shipped under ``reference`` between the dates."""
        with self._lock:
            return [
                (number, dict(booking))
                for number, booking in self.bookings.items()
                if reference in booking.get("searchable", ())
                and not booking.get("return")
                and start <= time.strftime("%Y%m%d", time.gmtime(booking["at"])) <= end
            ]

    def ups_track_by_reference(self, request, reference):
        fault = self._lookup_fault()
        if fault:
            return fault
        query = {k: v[0] for k, v in request.query.items()}
        today = time.strftime("%Y%m%d", time.gmtime())
        start = query.get("fromPickUpDate") or time.strftime(
            "%Y%m%d", time.gmtime(time.time() - 14 * 86400)
        )
        end = query.get("toPickUpDate") or today
        if not (start.isdigit() and len(start) == 8 and end.isdigit() and len(end) == 8):
            return self._ups_error("TV1003", "Invalid pickup date range")
        if query.get("refNumType", "SmallPackage") not in ("SmallPackage", "fgv"):
            return self._ups_error("TV1004", "Invalid reference number type")
        if not request.headers.get("transId") or not request.headers.get("transactionSrc"):
            return self._ups_error("TV1001", "Missing transId or transactionSrc")
        found = self._by_reference(reference, start, end)
        if not found:
            return self._ups_error("TW0001", "Tracking Information Not Found", status=404)
        packages = [
            {
                "trackingNumber": f"{number}{index}" if booking["parcels"] > 1 else number,
                "packageCount": booking["parcels"],
                "referenceNumber": [{"number": reference, "type": "SHIPMENT"}],
                "packageAddress": [
                    {
                        "type": "DESTINATION",
                        "address": {
                            "postalCode": booking.get("postal_code"),
                            "countryCode": booking.get("country"),
                        },
                    }
                ],
                "currentStatus": {"code": "MP", "description": "Shipment Ready for UPS"},
            }
            for number, booking in found
            for index in range(booking["parcels"])
        ]
        return Reply.json(
            200,
            {"trackResponse": {"shipment": [{"inquiryNumber": reference, "package": packages}]}},
        )

    def fedex_track_by_reference(self, request):
        fault = self._lookup_fault()
        if fault:
            return fault
        body = json.loads(request.body or b"{}")
        info = body.get("referencesInformation") or {}
        reference = info.get("value")
        has_account = bool(info.get("accountNumber"))
        has_destination = bool(info.get("destinationCountryCode")) and bool(
            info.get("destinationPostalCode")
        )
        if not reference or not (has_account or has_destination):
            return self._fedex_error(
                "TRACKING.REFERENCEINFORMATION.INVALID",
                "Either an account number or a destination postal and country code is required.",
            )
        try:
            start = time.strftime("%Y%m%d", time.strptime(info["shipDateBegin"], "%Y-%m-%d"))
            end = time.strftime("%Y%m%d", time.strptime(info["shipDateEnd"], "%Y-%m-%d"))
        except (KeyError, ValueError):
            # FedEx's own default: the last 30 days to tomorrow
            start = time.strftime("%Y%m%d", time.gmtime(time.time() - 30 * 86400))
            end = time.strftime("%Y%m%d", time.gmtime(time.time() + 86400))
        found = self._by_reference(reference, start, end)
        if not found:
            results = [
                {
                    "trackingNumber": reference,
                    "trackResults": [
                        {
                            "error": {
                                "code": "TRACKING.REFERENCENUMBER.NOTFOUND",
                                "message": "Reference number cannot be found. Please correct "
                                "the reference number and try again.",
                            }
                        }
                    ],
                }
            ]
        else:
            results = [
                {
                    "trackingNumber": number,
                    "trackResults": [
                        {
                            "trackingNumberInfo": {
                                "trackingNumber": number,
                                "carrierCode": "FDXE",
                            },
                            "recipientInformation": {
                                "address": {
                                    "postalCode": booking.get("postal_code"),
                                    "countryCode": booking.get("country"),
                                }
                            },
                            "latestStatusDetail": {
                                "code": "OC",
                                "description": "Shipment information sent to FedEx",
                            },
                        }
                    ],
                }
                for number, booking in found
            ]
        return Reply.json(
            200, {"transactionId": "fake", "output": {"completeTrackResults": results}}
        )

    def ups_label_recovery(self, request):
        """UPS Shipping API "Label Recovery": the labels of the shipment a package
        tracking number belongs to (one per package, a list), in the format asked."""
        body = json.loads(request.body or b"{}")
        asked = body.get("LabelRecoveryRequest") or {}
        number = str(asked.get("TrackingNumber") or "")
        fmt = ((asked.get("LabelSpecification") or {}).get("LabelImageFormat") or {}).get(
            "Code"
        ) or "GIF"
        with self._lock:
            found = None
            for shipment, booking in self.bookings.items():
                pieces = (
                    [f"{shipment}{i}" for i in range(booking["parcels"])]
                    if booking["parcels"] > 1
                    else [shipment]
                )
                if number == shipment or number in pieces:
                    found = (shipment, pieces)
                    break
            if found:
                self.recovered_labels += len(found[1])
        if not found:
            return self._ups_error("151018", "Invalid tracking number")
        shipment, pieces = found
        results = [
            {
                "TrackingNumber": piece,
                "LabelImage": {
                    "LabelImageFormat": {"Code": fmt},
                    "GraphicImage": base64.b64encode(
                        zpl(piece).encode()
                        if fmt == "ZPL"
                        else build_pdf([f"UPS {piece}"])
                        if fmt == "PDF"
                        else tiny_png()
                    ).decode(),
                },
            }
            for piece in pieces
        ]
        return Reply.json(
            200,
            {
                "LabelRecoveryResponse": {
                    "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                    "ShipmentIdentificationNumber": shipment,
                    "LabelResults": results,
                }
            },
        )
