# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Plain Python clients of a parcel carrier: REST/JSON and SOAP (no ORM).

Every call has a timeout (connect and each read), checks its URL against SSRF first
(``check_url`` of ``logistics_sync_base``, again on each redirect, since DNS may
change) and ends in one of two exceptions that tell the caller what to do:

- ``TransientCarrierError``: try again later (timeouts, connection errors,
  429, 5xx, an outage), with ``retry_after`` seconds when the carrier said so;
- ``PermanentCarrierError``: trying again will not help (credentials refused,
  other 4xx, an answer that is not what was promised, a SOAP fault of the
  client, XML with a DTD or entities, a URL refused by the SSRF check).

Secrets never appear in messages or logs: they are masked in ``CarrierAuth``'s
repr and scrubbed from every error message.
"""

import base64
import hashlib
import importlib.util
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import requests
import zeep
import zeep.exceptions
from lxml import etree

_logger = logging.getLogger(__name__)

AUTH_TYPES = ("none", "basic", "bearer", "api_key", "oauth2")
MAX_REDIRECTS = 3
TRACK_BATCH = 50
TOKEN_MARGIN = 30  # seconds: an OAuth token is renewed this long before it expires
DEFAULT_TOKEN_LIFETIME = 300
MESSAGE_LIMIT = 300
SOAP_NS = "urn:logistics-sync:sim-carrier:1"
SOAP_BINDING = f"{{{SOAP_NS}}}SimCarrierBinding"
MIN_SCRUB_LENGTH = 6  # shorter secrets cannot be masked without mangling the message
# A document type declaration in the prolog (after the XML declaration and comments).
DOCTYPE_PROLOG = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<!DOCTYPE", re.I | re.S)


# --------------------------------------------------------------------------- errors


class CarrierError(Exception):
    """A carrier call failed; ``message`` is safe to show (no secrets)."""

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class TransientCarrierError(CarrierError):
    """Try again later; ``retry_after`` (seconds) when the carrier said when."""

    def __init__(self, message, status_code=None, retry_after=None):
        super().__init__(message, status_code)
        self.retry_after = retry_after


class PermanentCarrierError(CarrierError):
    """Trying again with the same request and settings will not help."""


# --------------------------------------------------------------------------- URL check


def _load_check_url():
    """``check_url`` of logistics_sync_base: from the Odoo addon, else from its file.

    Outside Odoo, ``import logistics_sync_base`` would run the addon's
    ``__init__`` (models, controllers: Odoo imports), so the module is loaded
    from its path instead.
    """
    try:
        from odoo.addons.logistics_sync_base.lib.urlsafety import check_url

        return check_url
    except ImportError:
        pass
    path = Path(__file__).resolve().parents[2] / "logistics_sync_base" / "lib" / "urlsafety.py"
    spec = importlib.util.spec_from_file_location("_logistics_sync_urlsafety", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_url


_check_url_lock = threading.Lock()
_check_url = None


def default_url_check():
    global _check_url
    with _check_url_lock:
        if _check_url is None:
            _check_url = _load_check_url()
    return _check_url


# --------------------------------------------------------------------------- auth


@dataclass(repr=False)
class CarrierAuth:
    """How to authenticate at the carrier.  The repr masks every secret."""

    auth_type: str = "none"
    username: str | None = None
    password: str | None = None
    token: str | None = None
    api_key_header: str = "X-Api-Key"
    api_key: str | None = None
    oauth_token_url: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_scope: str | None = None

    def __post_init__(self):
        self.auth_type = self.auth_type or "none"
        if self.auth_type not in AUTH_TYPES:
            raise ValueError(f"unknown auth_type {self.auth_type!r}; use one of {AUTH_TYPES}")
        self.api_key_header = self.api_key_header or "X-Api-Key"

    def __repr__(self):
        def mask(value):
            return "'***'" if value else "None"

        return (
            f"CarrierAuth(auth_type={self.auth_type!r}, username={self.username!r}, "
            f"password={mask(self.password)}, token={mask(self.token)}, "
            f"api_key_header={self.api_key_header!r}, api_key={mask(self.api_key)}, "
            f"oauth_token_url={self.oauth_token_url!r}, "
            f"oauth_client_id={self.oauth_client_id!r}, "
            f"oauth_client_secret={mask(self.oauth_client_secret)}, "
            f"oauth_scope={self.oauth_scope!r})"
        )

    __str__ = __repr__

    def secrets(self):
        """The secret values, to scrub them from any text shown or logged."""
        return [
            value
            for value in (self.password, self.token, self.api_key, self.oauth_client_secret)
            if value
        ]


# OAuth tokens, keyed by a hash of everything that identifies them (token URL,
# client id and secret, scope): two databases share a token only when they hold
# the same credentials, and a changed secret never reuses an old token.
_token_cache = {}
_token_lock = threading.Lock()


def _token_key(auth):
    parts = (auth.oauth_token_url, auth.oauth_client_id, auth.oauth_client_secret, auth.oauth_scope)
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()


# --------------------------------------------------------------------------- helpers


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _timeouts(timeout):
    timeout = float(timeout or 10.0)
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    # One number: requests applies it to the connect and to each read.
    return timeout


def _origin(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _carrier_message(response):
    """The carrier's own explanation from a JSON error body, if any (shortened)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    text = body.get("message") or body.get("error_description") or body.get("error") or ""
    return str(text)[:MESSAGE_LIMIT]


class _Base:
    """What the REST and SOAP clients share: URL checks, errors, transport faults."""

    def __init__(self, base_url, auth, timeout, allow_http_loopback, url_check):
        if not base_url:
            raise ValueError("base_url is required")
        self.base_url = base_url.rstrip("/")
        self.auth = auth or CarrierAuth()
        self.timeout = _timeouts(timeout)
        self.allow_http_loopback = bool(allow_http_loopback)
        self._url_check = url_check or default_url_check()

    def __repr__(self):
        return f"{type(self).__name__}({self.base_url!r}, auth={self.auth!r})"

    # errors -----------------------------------------------------------------
    def _scrub(self, text):
        text = str(text)
        for secret in [*self.auth.secrets(), *self._extra_secrets()]:
            if len(secret) >= MIN_SCRUB_LENGTH:
                text = text.replace(secret, "***")
        return text

    def _extra_secrets(self):
        return []

    def _permanent(self, message, status_code=None):
        return PermanentCarrierError(self._scrub(message), status_code)

    def _transient(self, message, status_code=None, retry_after=None):
        return TransientCarrierError(self._scrub(message), status_code, retry_after)

    def _check(self, url, what="carrier URL"):
        """The SSRF check; an unsafe URL is a permanent error (settings must change)."""
        try:
            self._url_check(url, allow_http_loopback=self.allow_http_loopback)
        except ValueError as exc:  # UnsafeURLError, whichever copy of the module raised it
            raise self._permanent(f"The {what} is refused: {exc}") from None

    def _transport_error(self, exc, what):
        """A requests exception as a carrier error (never with the raw URL's secrets)."""
        read = self.timeout
        if isinstance(exc, requests.ConnectTimeout):
            return self._transient(f"{what}: could not connect to the carrier within {read:g} s")
        if isinstance(exc, requests.Timeout):
            return self._transient(f"{what}: the carrier did not answer within {read:g} s")
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return self._transient(f"{what}: connection to the carrier failed or was reset")
        return self._permanent(f"{what}: the request could not be sent ({type(exc).__name__})")

    def _status_error(self, response, what):
        """The carrier error of an HTTP answer that is not a success."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        detail = _carrier_message(response)
        suffix = f": {detail}" if detail else ""
        if status == 429:
            return self._transient(
                f"{what}: the carrier limits the request rate (HTTP 429){suffix}",
                status,
                retry_after,
            )
        if status >= 500 or status == 408:
            return self._transient(
                f"{what}: the carrier failed (HTTP {status}){suffix}", status, retry_after
            )
        if status in (401, 403):
            return self._permanent(
                f"{what}: credentials refused by the carrier (HTTP {status})", status
            )
        if 300 <= status < 400:
            return self._permanent(f"{what}: unexpected redirect (HTTP {status})", status)
        return self._permanent(
            f"{what}: the carrier refused the request (HTTP {status}){suffix}", status
        )


# --------------------------------------------------------------------------- REST


class RestCarrierClient(_Base):
    """The carrier's REST/JSON API (``/v1/...``)."""

    def __init__(
        self,
        base_url,
        auth,
        timeout=10.0,
        allow_http_loopback=False,
        session=None,
        url_check=None,
    ):
        super().__init__(base_url, auth, timeout, allow_http_loopback, url_check)
        self.session = session or requests.Session()

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
        origin = _origin(url)
        for hop in range(MAX_REDIRECTS + 1):
            send_headers = dict(headers or {})
            if _origin(url) == origin:
                # Like browsers and requests: credentials never follow to another origin.
                send_headers.update(auth_headers)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=send_headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise self._transport_error(exc, what) from exc
            _logger.debug(
                "%s %s -> HTTP %s (%.0f ms)",
                method,
                urlsplit(url).path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if not (response.is_redirect and response.headers.get("Location")):
                return response
            location = urljoin(url, response.headers["Location"])
            response.close()
            if hop == MAX_REDIRECTS:
                break
            self._check(location, what="redirect target")
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, json = "GET", None
            url, params = location, None  # the query, if any, is in the Location
        raise self._permanent(f"{what}: more than {MAX_REDIRECTS} redirects")

    # OAuth2 -----------------------------------------------------------------
    def _cached_token(self):
        if self.auth.auth_type != "oauth2":
            return None
        with _token_lock:
            entry = _token_cache.get(_token_key(self.auth))
        return entry[0] if entry else None

    def _forget_token(self):
        with _token_lock:
            _token_cache.pop(_token_key(self.auth), None)

    def _oauth_token(self):
        """A client-credentials access token, cached until shortly before it expires."""
        auth = self.auth
        if not (auth.oauth_token_url and auth.oauth_client_id and auth.oauth_client_secret):
            raise self._permanent("The endpoint has no OAuth2 token URL, client id and secret")
        key = _token_key(auth)
        with _token_lock:
            entry = _token_cache.get(key)
        if entry and entry[1] > time.monotonic():
            return entry[0]
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
        try:
            lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        expires = time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN)
        with _token_lock:
            _token_cache[key] = (token, expires)
        return token


# --------------------------------------------------------------------------- SOAP


class _SoapTransport(zeep.Transport):
    """zeep's transport with timeouts, no redirects, no body logging, HTTP faults mapped.

    Answers that are not SOAP (a JSON 503, an empty 429...) become carrier
    errors here, before zeep parses them; SOAP faults go on to zeep.
    """

    def __init__(self, client, session):
        super().__init__(session=session, timeout=client.timeout)
        self.operation_timeout = client.timeout
        self.carrier = client

    def post(self, address, message, headers):
        what = self.carrier.current_operation
        try:
            response = self.session.post(
                address,
                data=message,
                headers=headers,
                timeout=self.operation_timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self.carrier._transport_error(exc, what) from exc
        status = response.status_code
        _logger.debug("SOAP %s -> HTTP %s", what, status)
        is_xml = "xml" in (response.headers.get("Content-Type") or "").lower()
        if status in (429, 502, 503, 504) or 300 <= status < 400:
            raise self.carrier._status_error(response, what)
        if status != 200 and not (is_xml and response.content):
            raise self.carrier._status_error(response, what)
        if DOCTYPE_PROLOG.match(response.content):
            # Refused before any parser sees it (zeep's forbid_dtd stays as a second guard).
            raise self.carrier._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer declares a DTD"
            )
        return response

    def get(self, address, params, headers):
        raise self.carrier._permanent("SOAP: GET requests are not allowed")

    def load(self, url):
        # Only the local WSDL file is ever loaded; no import may reach the network.
        if urlsplit(str(url)).scheme in ("http", "https"):
            raise self.carrier._permanent("SOAP: remote WSDL or schema imports are refused")
        return super().load(url)


class SoapCarrierClient(_Base):
    """The carrier's SOAP 1.1 service, described by a local WSDL file."""

    def __init__(
        self,
        base_url,
        auth,
        wsdl_path,
        timeout=10.0,
        allow_http_loopback=False,
        url_check=None,
    ):
        super().__init__(base_url, auth, timeout, allow_http_loopback, url_check)
        self.address = self.base_url + "/soap"
        self.current_operation = "SOAP"
        session = requests.Session()
        session.max_redirects = 0
        self.settings = zeep.Settings(
            strict=True,
            xml_huge_tree=False,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        self.transport = _SoapTransport(self, session)
        self.client = zeep.Client(str(wsdl_path), transport=self.transport, settings=self.settings)
        self.service = self.client.create_service(SOAP_BINDING, self.address)

    # public API -------------------------------------------------------------
    def rate(self, shipment):
        answer = self._call(
            "GetRate",
            "Rate",
            Reference=shipment.get("reference") or "",
            Service=shipment.get("service") or "standard",
            WeightKg=Decimal(str(shipment.get("weight_kg"))),
        )
        return {
            "amount": float(answer.Amount),
            "currency": answer.Currency,
            "service": shipment.get("service") or "standard",
            "transit_days": answer.TransitDays,
        }

    def book(self, shipment, idempotency_key):
        """Book once per key; the label comes with the answer (``label_pdf`` bytes)."""
        if not idempotency_key:
            raise ValueError("an idempotency key is required to book")
        recipient = shipment.get("recipient") or {}
        answer = self._call(
            "BookShipment",
            "Booking",
            IdempotencyKey=idempotency_key,
            Reference=shipment.get("reference") or "",
            Service=shipment.get("service") or "standard",
            WeightKg=Decimal(str(shipment.get("weight_kg"))),
            RecipientName=recipient.get("name") or None,
            RecipientCity=recipient.get("city") or None,
            RecipientZip=recipient.get("zip") or None,
            RecipientCountry=recipient.get("country") or None,
        )
        label = answer.LabelPdf or b""
        if not answer.ShipmentId:
            raise self._permanent("Booking: the carrier's answer has no ShipmentId")
        if not label.startswith(b"%PDF-"):
            raise self._permanent("Booking: the carrier's label is not a PDF document")
        return {
            "shipment_id": answer.ShipmentId,
            "tracking_number": answer.TrackingNumber,
            "tracking_url": answer.TrackingUrl,
            "price": float(answer.Price),
            "currency": answer.Currency,
            "label_pdf": label,
        }

    def label(self, shipment_id):
        raise self._permanent("Label: this SOAP carrier delivers the label with the booking only")

    def return_label(self, shipment_id):
        raise self._permanent("Return label: this SOAP carrier has no return labels")

    def cancel(self, shipment_id):
        answer = self._call("CancelShipment", "Cancellation", ShipmentId=str(shipment_id))
        return {"shipment_id": str(shipment_id), "status": getattr(answer, "Status", answer)}

    def track(self, numbers):
        """Events per tracking number, shaped like the REST API's native events.

        One call per number (the SOAP service has no batch); ``[]`` for a number
        the carrier does not know.
        """
        results = {}
        for number in dict.fromkeys(str(n) for n in numbers or () if n):
            try:
                answer = self._call("TrackShipment", "Tracking", TrackingNumber=number)
                events = getattr(answer, "Event", answer)
            except PermanentCarrierError as exc:
                if "unknown tracking number" not in exc.message.lower():
                    raise
                events = []
            results[number] = [
                self._native_event(number, sequence, event)
                for sequence, event in enumerate(events or [], start=1)
            ]
        return results

    # calls ------------------------------------------------------------------
    @staticmethod
    def _native_event(number, sequence, event):
        at = event.At
        if isinstance(at, datetime):
            if at.tzinfo is not None:
                at = at.astimezone(UTC)
            at = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": f"soap-{number}-{sequence}",
            "shipment": {"tracking_number": number},
            "status": {"code": event.Code, "description": event.Description, "at": at},
            "location": {"city": event.City},
            "sequence": sequence,
        }

    def _credentials(self):
        if not self.auth.username or self.auth.password is None:
            raise self._permanent("The endpoint has no username and password for the carrier")
        return {"Username": self.auth.username, "Password": self.auth.password}

    def _call(self, operation, what, **values):
        self._check(self.base_url)
        self._check(self.address)
        credentials = self._credentials()
        self.current_operation = what
        try:
            return getattr(self.service, operation)(Credentials=credentials, **values)
        except CarrierError:
            raise
        except zeep.exceptions.DTDForbidden as exc:
            raise self._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer declares a DTD"
            ) from exc
        except zeep.exceptions.EntitiesForbidden as exc:
            raise self._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer declares entities"
            ) from exc
        except zeep.exceptions.ExternalReferenceForbidden as exc:
            raise self._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer refers to an "
                "external resource"
            ) from exc
        except etree.LxmlError as exc:
            raise self._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer could not be parsed "
                f"safely ({type(exc).__name__})"
            ) from exc
        except zeep.exceptions.Fault as exc:
            raise self._fault_error(exc, what) from exc
        except zeep.exceptions.TransportError as exc:
            status = exc.status_code or None
            content = exc.content or b""
            if b"<!DOCTYPE" in content.upper() or "entity" in str(exc.message).lower():
                raise self._permanent(
                    f"Unsafe XML refused: the carrier's {what.lower()} answer declares a DTD "
                    "or entities"
                ) from exc
            if status and (status >= 500 or status == 429):
                raise self._transient(
                    f"{what}: the carrier failed (HTTP {status})", status
                ) from exc
            raise self._permanent(
                f"{what}: the carrier's answer is not valid SOAP (HTTP {status})", status
            ) from exc
        except zeep.exceptions.Error as exc:
            raise self._permanent(
                f"{what}: the carrier's answer does not match its WSDL ({type(exc).__name__})"
            ) from exc
        except requests.RequestException as exc:
            raise self._transport_error(exc, what) from exc
        finally:
            self.current_operation = "SOAP"

    def _fault_error(self, fault, what):
        """A SOAP fault, its message the faultstring.

        SOAP 1.1 says a ``Server`` fault is the server's own failure and the same
        message may succeed later (transient); any other (``Client``: bad
        credentials, bad data) is permanent.
        """
        message = str(fault.message or f"{what}: SOAP fault")[:MESSAGE_LIMIT]
        code = str(fault.code or "")
        if code.rpartition(":")[2] in ("Server", "Receiver"):
            return self._transient(message, 500)
        return self._permanent(message, 500)


# --------------------------------------------------------------------------- factory


def client_for(protocol, **kwargs):
    """The client of ``protocol`` ("rest" or "soap") built with ``kwargs``."""
    if protocol == "rest":
        kwargs.pop("wsdl_path", None)
        return RestCarrierClient(**kwargs)
    if protocol == "soap":
        kwargs.pop("session", None)
        return SoapCarrierClient(**kwargs)
    raise ValueError(f"unknown carrier protocol {protocol!r}; use 'rest' or 'soap'")
