# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL document API (``/3pl/v1``, readme/USAGE.md): send a document version,
cancel a document.

Every call has a timeout, goes through base's pinned session (SSRF), never
follows redirects, sends an ``Idempotency-Key`` and ends in an outbound error of
the base (transient: try again; permanent: the 3PL refused).  Messages never
hold the token.
"""

from urllib.parse import quote

import requests

from odoo.addons.logistics_sync_base.adapters import http
from odoo.addons.logistics_sync_base.adapters.errors import (
    PermanentOutboundError,
    TransientOutboundError,
)
from odoo.addons.logistics_sync_base.lib.urlsafety import check_url_syntax


class TransientTplError(TransientOutboundError):
    """Try again later (timeouts, connection errors, 429, 5xx)."""


class PermanentTplError(PermanentOutboundError):
    """The 3PL refused the request; ``code`` is its error code."""

    def __init__(self, message, status_code=None, code=None):
        super().__init__(message, status_code)
        self.code = code


class TplClient:
    def __init__(self, base_url, token, timeout=10.0, allow_http_loopback=False, session=None):
        if not base_url:
            raise ValueError("base_url is required")
        self.base_url = base_url.rstrip("/")
        self._token = token or ""
        self.timeout = http.timeout_seconds(timeout)
        self.allow_http_loopback = bool(allow_http_loopback)
        self.session = session or http.pinned_session(self.allow_http_loopback)

    def __repr__(self):
        return f"TplClient({self.base_url!r})"

    def send(self, document, key):
        """``{document_id, version, status}`` of one document version."""
        return self._call("POST", "/3pl/v1/documents", "Document", document, key)

    def send_asn(self, notice, key):
        """An advance ship notice to a customer's system (``schemas/asn_v1.json``)."""
        return self._call("POST", "/asn/v1/notices", "ASN", notice, key)

    def cancel(self, document_id, version, reason, key):
        path = f"/3pl/v1/documents/{quote(str(document_id), safe='')}/cancel"
        body = {"document_id": document_id, "version": version, "reason": reason}
        return self._call("POST", path, "Cancellation", body, key)

    def _scrub(self, text):
        text = str(text)
        return text.replace(self._token, "***") if len(self._token) >= 6 else text

    def _call(self, method, path, what, body, key):
        url = self.base_url + path
        try:
            check_url_syntax(url, allow_http_loopback=self.allow_http_loopback)
        except ValueError as exc:
            raise PermanentTplError(self._scrub(f"{what}: the 3PL URL is refused: {exc}")) from None
        headers = {"Idempotency-Key": key, "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self.session.request(
                method, url, json=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            kind = http.transport_failure(exc)
            if kind in http.TRANSIENT_TRANSPORT:
                raise TransientTplError(
                    f"{what}: {kind.replace('_', ' ')} ({self.timeout:g} s)"
                ) from exc
            raise PermanentTplError(self._scrub(f"{what}: {kind}: {exc}")) from exc
        status = response.status_code
        try:
            doc = response.json()
        except ValueError:
            doc = None
        if 200 <= status < 300:
            if not isinstance(doc, dict):
                raise PermanentTplError(f"{what}: the 3PL answered no JSON object", status)
            return doc
        error = (doc or {}).get("error") if isinstance(doc, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        detail = error.get("message") if isinstance(error, dict) else ""
        kind = http.status_failure(status)
        message = self._scrub(f"{what}: HTTP {status}" + (f" {code}: {detail}" if code else ""))
        if kind in http.TRANSIENT_STATUS:
            retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
            raise TransientTplError(message, status, retry_after)
        raise PermanentTplError(message, status, code)
