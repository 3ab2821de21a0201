# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier's REST/JSON API (``/v1/...``): rates, bookings, labels, cancel, tracking.

Every call has a timeout (connect and each read), goes through a pinned
session (``logistics_sync_base/adapters/http.py``: it connects to the address
the SSRF check approved), follows redirects by hand (each target checked,
credentials kept to the first origin) and ends in a carrier error.
"""

import base64
import logging
from urllib.parse import quote

import requests

from . import auth as auth_module
from .base import CarrierClientBase
from odoo.addons.logistics_sync_base.adapters import http

_logger = logging.getLogger(__name__)

TRACK_BATCH = 50


class RestCarrierClient(CarrierClientBase):
    """The carrier's REST/JSON API.

    ``token_scope``: what OAuth2 tokens are cached for (the database and the
    endpoint); ``session``: a requests session (default: a pinned one).
    """

    def __init__(
        self,
        base_url,
        auth,
        timeout=10.0,
        allow_http_loopback=False,
        session=None,
        url_check=None,
        token_scope=None,
    ):
        super().__init__(base_url, auth, timeout, allow_http_loopback, url_check)
        self.session = session or http.pinned_session(self.allow_http_loopback)
        self.token_scope = token_scope or ""

    # public API -------------------------------------------------------------
    def rate(self, shipment):
        """A quote: ``{amount, currency, service, transit_days}``."""
        return self._json("POST", "/v1/rates", "Rate", json=self._shipment_body(shipment))

    def book(self, shipment, idempotency_key):
        """Book once per key: the carrier's answer plus ``replayed`` (a repeated key)."""
        if not idempotency_key:
            raise ValueError("an idempotency key is required to book")
        response = self._send(
            "POST",
            "/v1/shipments",
            "Booking",
            json=self._shipment_body(shipment, booking=True),
            headers={"Idempotency-Key": idempotency_key},
        )
        result = self._decode_json(response, "Booking")
        if not result.get("shipment_id"):
            raise self._permanent("Booking: the carrier's answer has no shipment_id")
        replayed = (response.headers.get("Idempotent-Replayed") or "").strip().lower()
        result["replayed"] = replayed in ("true", "1", "yes")
        return result

    def label(self, shipment_id):
        """The shipping label as PDF bytes."""
        return self._pdf(f"/v1/shipments/{quote(str(shipment_id), safe='')}/label", "Label")

    def return_label(self, shipment_id):
        """The return label as PDF bytes."""
        path = f"/v1/shipments/{quote(str(shipment_id), safe='')}/return-label"
        return self._pdf(path, "Return label")

    def cancel(self, shipment_id):
        """Cancel a booking: ``{shipment_id, status}``."""
        path = f"/v1/shipments/{quote(str(shipment_id), safe='')}/cancel"
        return self._json("POST", path, "Cancellation")

    def track(self, numbers):
        """Native events per tracking number (``[]`` for a number the carrier does not know).

        One GET per batch of at most 50 numbers.
        """
        wanted = list(dict.fromkeys(str(n) for n in numbers or () if n))
        results = {}
        for start in range(0, len(wanted), TRACK_BATCH):
            chunk = wanted[start : start + TRACK_BATCH]
            body = self._json(
                "GET", "/v1/tracking", "Tracking", params={"numbers": ",".join(chunk)}
            )
            items = body.get("results")
            if not isinstance(items, list):
                raise self._permanent("Tracking: the carrier's answer has no results list")
            for item in items:
                if not isinstance(item, dict) or not item.get("tracking_number"):
                    continue
                events = item.get("events")
                if "error" in item or not isinstance(events, list):
                    _logger.debug(
                        "Carrier does not know tracking number %s: %s",
                        item["tracking_number"],
                        item.get("error"),
                    )
                    events = []
                results[str(item["tracking_number"])] = events
        for number in wanted:
            results.setdefault(number, [])
        return results

    # requests ---------------------------------------------------------------
    @staticmethod
    def _shipment_body(shipment, booking=False):
        recipient = shipment.get("recipient") or {}
        body = {
            "reference": shipment.get("reference"),
            "service": shipment.get("service") or "standard",
            "weight_kg": shipment.get("weight_kg"),
            "recipient": {
                key: recipient.get(key) or ""
                for key in ("name", "street", "city", "zip", "country")
            },
        }
        if booking and shipment.get("webhook_url"):
            body["webhook_url"] = shipment["webhook_url"]
        return body

    def _json(self, method, path, what, **kwargs):
        return self._decode_json(self._send(method, path, what, **kwargs), what)

    def _decode_json(self, response, what):
        try:
            body = response.json()
        except ValueError:
            raise self._permanent(
                f"{what}: the carrier answered invalid JSON (HTTP {response.status_code})",
                response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise self._permanent(f"{what}: the carrier answered JSON that is not an object")
        return body

    def _pdf(self, path, what):
        response = self._send("GET", path, what)
        content = response.content
        if not content.startswith(b"%PDF-"):
            raise self._permanent(f"{what}: the carrier's answer is not a PDF document")
        return content

    def _extra_secrets(self):
        token = self._cached_token()
        return [token] if token else []

    def _auth_headers(self):
        auth = self.auth
        kind = auth.auth_type
        if kind == "none":
            return {}
        if kind == "basic":
            if not auth.username or auth.password is None:
                raise self._permanent("The endpoint has no username and password for the carrier")
            pair = f"{auth.username}:{auth.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        if kind == "bearer":
            if not auth.token:
                raise self._permanent("The endpoint has no bearer token for the carrier")
            return {"Authorization": f"Bearer {auth.token}"}
        if kind == "api_key":
            if not auth.api_key:
                raise self._permanent("The endpoint has no API key for the carrier")
            return {auth.api_key_header: auth.api_key}
        return {"Authorization": f"Bearer {self._oauth_token()}"}

    def _send(self, method, path, what, json=None, params=None, headers=None):
        """One call, redirects followed by hand (each target checked), errors mapped."""
        self._check(self.base_url)
        auth_headers = self._auth_headers()
        response = self._follow(
            method, self.base_url + path, what, auth_headers, json, params, headers
        )
        if response.status_code == 401 and self.auth.auth_type == "oauth2":
            # The token may have been revoked before its announced expiry: renew once.
            self._forget_token()
            auth_headers = self._auth_headers()
            response = self._follow(
                method, self.base_url + path, what, auth_headers, json, params, headers
            )
        if not 200 <= response.status_code < 300:
            raise self._status_error(response, what)
        return response

    def _follow(self, method, url, what, auth_headers, json, params, headers):
        try:
            return http.send_following_redirects(
                self.session,
                method,
                url,
                check=lambda target: self._check(target, what="redirect target"),
                timeout=self.timeout,
                auth_headers=auth_headers,
                headers=headers,
                json=json,
                params=params,
            )
        except http.RedirectLimitError:
            raise self._permanent(f"{what}: more than {http.MAX_REDIRECTS} redirects") from None
        except requests.RequestException as exc:
            raise self._transport_error(exc, what) from exc

    # OAuth2 -----------------------------------------------------------------
    def _token_key(self):
        return auth_module.tokens.key(self.token_scope, self.auth)

    def _cached_token(self):
        if self.auth.auth_type != "oauth2":
            return None
        return auth_module.tokens.get(self._token_key(), fresh_only=False)

    def _forget_token(self):
        auth_module.tokens.forget(self._token_key())

    def _oauth_token(self):
        """A client-credentials access token, cached until shortly before it expires."""
        auth = self.auth
        if not (auth.oauth_token_url and auth.oauth_client_id and auth.oauth_client_secret):
            raise self._permanent("The endpoint has no OAuth2 token URL, client id and secret")
        key = self._token_key()
        token = auth_module.tokens.get(key)
        if token:
            return token
        self._check(auth.oauth_token_url, what="OAuth2 token URL")
        data = {"grant_type": "client_credentials"}
        if auth.oauth_scope:
            data["scope"] = auth.oauth_scope
        what = "OAuth2 token"
        try:
            response = self.session.post(
                auth.oauth_token_url,
                data=data,
                auth=(auth.oauth_client_id, auth.oauth_client_secret),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, what) from exc
        if response.status_code in (400, 401, 403):
            raise self._permanent(
                f"{what}: credentials refused by the carrier (HTTP {response.status_code})",
                response.status_code,
            )
        if not 200 <= response.status_code < 300:
            raise self._status_error(response, what)
        body = self._decode_json(response, what)
        token = body.get("access_token")
        if not token or not isinstance(token, str):
            raise self._permanent(f"{what}: the answer has no access_token")
        auth_module.tokens.put(key, token, body.get("expires_in"))
        return token
