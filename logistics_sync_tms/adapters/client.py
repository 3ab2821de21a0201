# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS REST/JSON API (``/tms/v1``, docs/TMS_API.md): create a shipment request
(alone or in batches), update, cancel.

Every call has a timeout, goes through a pinned session (SSRF: it connects to the
address the check approved), never follows redirects, sends an ``Idempotency-Key``
and ends in an outbound error of the base (transient: try again; permanent: the
TMS refused).  Messages never hold the token.
"""

import logging
from urllib.parse import quote

import requests

from odoo.addons.logistics_sync_base.adapters import http
from odoo.addons.logistics_sync_base.adapters.errors import (
    PermanentOutboundError,
    TransientOutboundError,
)
from odoo.addons.logistics_sync_base.lib.urlsafety import check_url_syntax

_logger = logging.getLogger(__name__)


class TransientTmsError(TransientOutboundError):
    """Try again later (timeouts, connection errors, 429, 5xx)."""


class PermanentTmsError(PermanentOutboundError):
    """The TMS refused the request; ``code`` is its error code (``shipment_cancelled``...)."""

    def __init__(self, message, status_code=None, code=None):
        super().__init__(message, status_code)
        self.code = code


class TmsClient:
    def __init__(self, base_url, token, timeout=10.0, allow_http_loopback=False, session=None):
        if not base_url:
            raise ValueError("base_url is required")
        self.base_url = base_url.rstrip("/")
        self._token = token or ""
        self.timeout = http.timeout_seconds(timeout)
        self.allow_http_loopback = bool(allow_http_loopback)
        self.session = session or http.pinned_session(self.allow_http_loopback)

    def __repr__(self):
        return f"TmsClient({self.base_url!r})"

    # public API -------------------------------------------------------------
    # not a model: no super() to call
    def create(self, request, key):  # pylint: disable=method-required-super
        """``{shipment_id, release_id, version, status}`` of one shipment request."""
        return self._call("POST", "/tms/v1/shipments", "Release", request, key)

    def create_batch(self, requests_, key):
        """One result per request, in order: ``{shipment_id...}`` or ``{error: {code, message}}``."""
        answer = self._call(
            "POST", "/tms/v1/shipments/batch", "Batch release", {"shipments": requests_}, key
        )
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(requests_):
            raise PermanentTmsError("Batch release: the TMS answered no result per request")
        return results

    def update(self, shipment_id, request, key):
        path = f"/tms/v1/shipments/{quote(str(shipment_id), safe='')}"
        return self._call("PUT", path, "Update", request, key)

    def cancel(self, shipment_id, release_id, version, reason, key):
        path = f"/tms/v1/shipments/{quote(str(shipment_id), safe='')}/cancel"
        body = {"release_id": release_id, "version": version, "reason": reason}
        return self._call("POST", path, "Cancellation", body, key)

    # transport --------------------------------------------------------------
    def _scrub(self, text):
        text = str(text)
        return text.replace(self._token, "***") if len(self._token) >= 6 else text

    def _call(self, method, path, what, body, key):
        if not key:
            raise ValueError("an idempotency key is required")
        url = self.base_url + path
        try:
            check_url_syntax(url, allow_http_loopback=self.allow_http_loopback)
        except ValueError as exc:
            raise PermanentTmsError(self._scrub(f"{what}: the TMS URL is refused: {exc}")) from None
        headers = {"Idempotency-Key": key, "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self.session.request(
                method,
                url,
                json=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            kind = http.transport_failure(exc)
            if kind in http.TRANSIENT_TRANSPORT:
                raise TransientTmsError(
                    f"{what}: {kind.replace('_', ' ')} ({self.timeout:g} s)"
                ) from exc
            raise PermanentTmsError(self._scrub(f"{what}: {kind}: {exc}")) from exc
        status = response.status_code
        try:
            doc = response.json()
        except ValueError:
            doc = None
        if 200 <= status < 300:
            if not isinstance(doc, dict):
                raise PermanentTmsError(f"{what}: the TMS answered no JSON object", status)
            return doc
        error = (doc or {}).get("error") if isinstance(doc, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        detail = error.get("message") if isinstance(error, dict) else ""
        kind = http.status_failure(status)
        message = self._scrub(f"{what}: HTTP {status}" + (f" {code}: {detail}" if code else ""))
        if kind in http.TRANSIENT_STATUS:
            retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
            raise TransientTmsError(message, status, retry_after)
        raise PermanentTmsError(message, status, code)
