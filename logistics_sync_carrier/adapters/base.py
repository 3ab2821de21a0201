# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the REST and SOAP adapters share: URL checks, secret scrubbing, errors worded."""

from .auth import CarrierAuth
from .errors import PermanentCarrierError, TransientCarrierError
from odoo.addons.logistics_sync_base.adapters import http
from odoo.addons.logistics_sync_base.lib.urlsafety import check_url_syntax

MIN_SCRUB_LENGTH = 6  # shorter secrets cannot be masked without mangling the message


class CarrierClientBase:
    """Settings, the SSRF pre-check and the carrier errors of an adapter.

    ``url_check(url, allow_http_loopback=...)`` refuses a URL before any call,
    with a message naming it; the pinned session checks again, in the one
    resolution whose address it connects to.
    """

    def __init__(self, base_url, auth, timeout, allow_http_loopback, url_check):
        if not base_url:
            raise ValueError("base_url is required")
        self.base_url = base_url.rstrip("/")
        self.auth = auth or CarrierAuth()
        self.timeout = http.timeout_seconds(timeout)
        self.allow_http_loopback = bool(allow_http_loopback)
        # Before a request: everything but the name's addresses, which the pinned
        # connection resolves once and checks (lib/urlsafety.py, adapters/http.py).
        self._url_check = url_check or check_url_syntax

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
        except ValueError as exc:  # UnsafeURLError
            raise self._permanent(f"The {what} is refused: {exc}") from None

    def _transport_error(self, exc, what):
        """A requests exception as a carrier error (never with the raw URL's secrets)."""
        kind = http.transport_failure(exc)
        read = self.timeout
        if kind == "unsafe_url":
            return self._permanent(f"{what}: the carrier's address is refused: {exc}")
        if kind == "connect_timeout":
            return self._transient(f"{what}: could not connect to the carrier within {read:g} s")
        if kind == "read_timeout":
            return self._transient(f"{what}: the carrier did not answer within {read:g} s")
        if kind == "connection":
            return self._transient(f"{what}: connection to the carrier failed or was reset")
        return self._permanent(f"{what}: the request could not be sent ({type(exc).__name__})")

    def _status_error(self, response, what):
        """The carrier error of an HTTP answer that is not a success."""
        status = response.status_code
        retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
        detail = http.error_detail(response)
        suffix = f": {detail}" if detail else ""
        kind = http.status_failure(status)
        if kind == "rate_limited":
            return self._transient(
                f"{what}: the carrier limits the request rate (HTTP 429){suffix}",
                status,
                retry_after,
            )
        if kind == "unavailable":
            return self._transient(
                f"{what}: the carrier failed (HTTP {status}){suffix}", status, retry_after
            )
        if kind == "unauthorized":
            return self._permanent(
                f"{what}: credentials refused by the carrier (HTTP {status})", status
            )
        if kind == "redirect":
            return self._permanent(f"{what}: unexpected redirect (HTTP {status})", status)
        return self._permanent(
            f"{what}: the carrier refused the request (HTTP {status}){suffix}", status
        )
