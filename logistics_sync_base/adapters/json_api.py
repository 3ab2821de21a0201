# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A partner's JSON API called with an idempotency key: what the TMS and 3PL clients share.

Every call has a timeout, goes through a pinned session (SSRF: it connects to the
address the check approved), never follows redirects, sends an ``Idempotency-Key``
and a Bearer token when there is one, and ends in the subclass's outbound errors
(``transient_error``: try again, with ``retry_after``; ``permanent_error``: the
partner refused, with its error ``code``).  Messages never hold the token.
"""

import requests

from ..lib.urlsafety import check_url_syntax
from . import http
from .errors import PermanentOutboundError, TransientOutboundError


class JsonApiClient:
    """Subclasses set ``partner`` (a name in messages) and their two error classes."""

    partner = "partner"
    transient_error = TransientOutboundError
    permanent_error = PermanentOutboundError

    def __init__(self, base_url, token, timeout=10.0, allow_http_loopback=False, session=None):
        if not base_url:
            raise ValueError("base_url is required")
        self.base_url = base_url.rstrip("/")
        self._token = token or ""
        self.timeout = http.timeout_seconds(timeout)
        self.allow_http_loopback = bool(allow_http_loopback)
        self.session = session or http.pinned_session(self.allow_http_loopback)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_url!r})"

    def _scrub(self, text):
        text = str(text)
        return text.replace(self._token, "***") if len(self._token) >= 6 else text

    def _call(self, method, path, what, body, key):
        """The answer's JSON object, or ``transient_error`` / ``permanent_error``."""
        if not key:
            raise ValueError("an idempotency key is required")
        url = self.base_url + path
        try:
            check_url_syntax(url, allow_http_loopback=self.allow_http_loopback)
        except ValueError as exc:
            raise self.permanent_error(
                self._scrub(f"{what}: the {self.partner} URL is refused: {exc}")
            ) from None
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
                raise self.transient_error(
                    f"{what}: {kind.replace('_', ' ')} ({self.timeout:g} s)"
                ) from exc
            raise self.permanent_error(self._scrub(f"{what}: {kind}: {exc}")) from exc
        status = response.status_code
        try:
            doc = response.json()
        except ValueError:
            doc = None
        if 200 <= status < 300:
            if not isinstance(doc, dict):
                raise self.permanent_error(
                    f"{what}: the {self.partner} answered no JSON object", status
                )
            return doc
        error = (doc or {}).get("error") if isinstance(doc, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        detail = error.get("message") if isinstance(error, dict) else ""
        kind = http.status_failure(status)
        message = self._scrub(f"{what}: HTTP {status}" + (f" {code}: {detail}" if code else ""))
        if kind in http.TRANSIENT_STATUS:
            retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
            raise self.transient_error(message, status, retry_after)
        raise self.permanent_error(message, status, code)
