# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carriers' push tracking, added to the fakes of ``karrio_fakes.py``.

- UPS Track Alert (UPS-API/api-documentation, ``UPSTrackAlert.yaml``): ``POST
  /api/track/v1/subscription/standard/package`` (OAuth; headers ``transId`` and
  ``transactionSrc``; body ``locale``, ``countryCode``, ``trackingNumberList`` of
  at most 100 1Z numbers, ``destination{url, credentialType, credential}``) answers
  ``validTrackingNumbers``/``invalidTrackingNumbers`` (a number the fake never
  booked is invalid), or 400 with UPS's ``VSS`` codes.  Then each event of the
  parcel (picked up at once, in transit after 1 s, delivered after 3 s) is POSTed
  to the URL as one flat ``TrackingEvent`` object, header ``credential`` = the
  subscription's credential, ``User-Agent: UPSPubSubTrackingService``.
- USPS Subscriptions - Tracking v3: ``POST /subscriptions-tracking/v3/subscriptions``
  (OAuth; ``listenerURL``, ``secret``, ``filterProperties{trackingNumber}``) answers
  201 with a ``subscriptionId``; each event (accepted, in transit, notice left,
  delivered) is POSTed as the Tracking v3 answer (``trackingNumber``,
  ``trackingEvents`` latest first), header ``X-HMAC`` = base64 HMAC-SHA256 of the
  body with the secret.
- FedEx takes no subscription by API (webhooks are set up per account in its portal).

Pushes go to loopback URLs only, are retried 3 times a second apart, and are
counted in ``GET /_sim/stats`` (``pushes_sent``, ``pushes_failed``,
``subscriptions``).
"""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
import uuid

from .karrio_fakes import KarrioCarrierFake
from odoo.addons.logistics_sync_base.simulator.knobs import check_webhook_url
from odoo.addons.logistics_sync_base.simulator.server import Reply

UPS_NUMBER = re.compile(r"1Z[0-9A-Z]{16}")
PUSH_TRIES = 3
PUSH_TIMEOUT = 5


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class KarrioPushFake(KarrioCarrierFake):
    """A carrier fake that also takes push subscriptions and pushes (UPS, USPS)."""

    def api_routes(self):
        routes = super().api_routes()
        if self.carrier == "ups":
            routes.append(
                (
                    "POST",
                    r"/api/track/v1/subscription/standard/package",
                    self.ups_subscribe,
                    "api",
                )
            )
        elif self.carrier == "usps":
            routes.append(
                ("POST", r"/subscriptions-tracking/v3/subscriptions", self.usps_subscribe, "api")
            )
        return routes

    def reset_state(self):
        res = super().reset_state()
        with self._lock:
            self.subscriptions = {}  # tracking number -> {url, secret}
            self.push_counters = {"pushes_sent": 0, "pushes_failed": 0}
        return res

    def stats(self):
        doc = super().stats()
        with self._lock:
            doc.update(self.push_counters, subscriptions=sorted(self.subscriptions))
        return doc

    # UPS ----------------------------------------------------------------------
    def ups_subscribe(self, request):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._ups_error("VSS110", "Subscription request is empty or not present.")
        if not request.headers.get("transId") or not request.headers.get("transactionSrc"):
            return self._ups_error("VSS002", "Missing transId.")
        numbers = body.get("trackingNumberList")
        destination = body.get("destination") or {}
        if not body.get("locale"):
            return self._ups_error("VSS300", "Locale is required.")
        if not isinstance(numbers, list) or not numbers:
            return self._ups_error("VSS200", "Tracking Number List is required.")
        if len(numbers) > 100:
            return self._ups_error("VSS220", "You have submitted over 100 1Z numbers.")
        if not destination.get("url"):
            return self._ups_error("VSS600", "URL is empty or not present.")
        if not destination.get("credential"):
            return self._ups_error("VSS700", "Credential is empty or not present.")
        if not destination.get("credentialType"):
            return self._ups_error("VSS800", "CredentialType is empty or not present.")
        try:
            check_webhook_url(destination["url"])
        except ValueError:
            return self._ups_error("VSS000", "Invalid request (the fake pushes to loopback only).")
        valid, invalid = [], []
        for number in numbers:
            with self._lock:
                booked = number in self.bookings
            (
                valid
                if isinstance(number, str) and UPS_NUMBER.fullmatch(number) and booked
                else invalid
            ).append(number)
        if not valid:
            return Reply.json(
                400,
                {
                    "response": {
                        "errors": [
                            {
                                "code": "VSS210",
                                "message": "The Subscription request should have at least one "
                                "valid tracking number.",
                            }
                        ]
                    },
                    "invalidTrackingNumbers": invalid,
                },
            )
        for number in valid:
            self._subscribe(number, destination["url"], destination["credential"])
        return Reply.json(
            200,
            {
                "validTrackingNumbers": valid,
                **({"invalidTrackingNumbers": invalid} if invalid else {}),
            },
        )

    def _ups_push_events(self, number, booking):
        """The Track Alert messages of the booking's events, each with its due time."""
        events = []
        # every step of the polling's timeline (an epoch-old booking has them all)
        for kind, code, text, offset in self._progress({"at": 0.0}):
            at = booking["at"] + offset
            local = at + 3600  # the fake's UPS scans are in Koeln (UTC+1)
            events.append(
                (
                    at,
                    {
                        "trackingNumber": number,
                        "localActivityDate": time.strftime("%Y%m%d", time.gmtime(local)),
                        "localActivityTime": time.strftime("%H%M%S", time.gmtime(local)),
                        "activityLocation": {
                            "city": "Koeln",
                            "stateProvince": "",
                            "postalCode": "50667" if kind == "D" else "",
                            "country": "DE",
                        },
                        "activityStatus": {
                            "type": kind,
                            "code": code,
                            "description": text,
                            "descriptionCode": "011" if kind == "D" else "005",
                        },
                        "scheduledDeliveryDate": "",
                        "actualDeliveryDate": time.strftime("%Y%m%d", time.gmtime(local))
                        if kind == "D"
                        else "",
                        "actualDeliveryTime": time.strftime("%H%M%S", time.gmtime(local))
                        if kind == "D"
                        else "",
                        "gmtActivityDate": time.strftime("%Y%m%d", time.gmtime(at)),
                        "gmtActivityTime": time.strftime("%H%M%S", time.gmtime(at)),
                        "deliveryStartTime": "",
                        "deliveryEndTime": "",
                        "deliveryTimeDescription": "",
                    },
                )
            )
        return events

    # USPS ---------------------------------------------------------------------
    def usps_subscribe(self, request):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        api = "/subscriptions-tracking/v3"
        if not isinstance(body, dict) or not body.get("listenerURL"):
            return self._usps_error("400", "Bad Request", "listenerURL is required.", api=api)
        number = (body.get("filterProperties") or {}).get("trackingNumber")
        with self._lock:
            booked = number in self.bookings
        if not booked:
            return self._usps_error(
                "400", "Bad Request", f"The tracking number {number} cannot be found.", api=api
            )
        try:
            check_webhook_url(body["listenerURL"])
        except ValueError:
            return self._usps_error("400", "Bad Request", "listenerURL is refused.", api=api)
        subscription = self._subscribe(number, body["listenerURL"], body.get("secret") or "")
        return Reply.json(
            201,
            {
                "subscriptionId": subscription,
                "listenerURL": body["listenerURL"],
                "filterProperties": {"trackingNumber": number},
            },
        )

    @staticmethod
    def _usps_push_events(number, booking):
        """One notification per event of ``_usps_events`` (accepted, in transit, notice
        left, delivered: 0, 1, 2, 3 s after the booking), built when it is sent."""
        return [(booking["at"] + offset, None) for offset in (0, 1, 2, 3)]

    # pushing ------------------------------------------------------------------
    def _subscribe(self, number, url, secret):
        subscription = str(uuid.uuid4())
        with self._lock:
            booking = self.bookings[number]
            self.subscriptions[number] = {"url": url, "secret": secret, "id": subscription}
        if self.carrier == "ups":
            pushes = self._ups_push_events(number, booking)
        else:
            pushes = self._usps_push_events(number, booking)
        now = time.time()
        for at, doc in pushes:
            # not before the subscription's answer is read (UPS confirms, then pushes)
            self.scheduler.call_later(max(0.5, at - now + 0.2), self._push, number, doc, 1)
        return subscription

    def _push(self, number, doc, attempt):
        with self._lock:
            target = self.subscriptions.get(number)
            booking = self.bookings.get(number)
        if not target or not booking:
            return  # dropped by /_sim/reset
        if doc is None:  # USPS: the Tracking v3 answer as it is now, latest event first
            doc = {"trackingNumber": number, "trackingEvents": self._usps_events(booking)}
        body = json.dumps(doc, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if self.carrier == "ups":
            headers.update(
                {"credential": target["secret"], "User-Agent": "UPSPubSubTrackingService"}
            )
        else:
            digest = hmac.new(target["secret"].encode(), body, hashlib.sha256).digest()
            headers["X-HMAC"] = base64.b64encode(digest).decode()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        error = None
        try:
            request = urllib.request.Request(  # noqa: S310 (loopback URLs only)
                target["url"], data=body, headers=headers, method="POST"
            )
            with opener.open(request, timeout=PUSH_TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            exc.close()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = type(exc).__name__
        with self._lock:
            if error is None:
                self.push_counters["pushes_sent"] += 1
                return
            if attempt >= PUSH_TRIES:
                self.push_counters["pushes_failed"] += 1
                return
        self.scheduler.call_later(1.0, self._push, number, doc, attempt + 1)
