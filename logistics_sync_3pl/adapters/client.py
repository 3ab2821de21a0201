# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL document API (``/3pl/v1``, readme/USAGE.md): send a document version,
cancel a document.

Every call has a timeout, goes through base's pinned session (SSRF), never
follows redirects, sends an ``Idempotency-Key`` and ends in an outbound error of
the base (transient: try again; permanent: the 3PL refused).  Messages never
hold the token.
"""

from urllib.parse import quote

from odoo.addons.logistics_sync_base.adapters.errors import (
    PermanentOutboundError,
    TransientOutboundError,
)
from odoo.addons.logistics_sync_base.adapters.json_api import JsonApiClient


class TransientTplError(TransientOutboundError):
    """Try again later (timeouts, connection errors, 429, 5xx)."""


class PermanentTplError(PermanentOutboundError):
    """The 3PL refused the request; ``code`` is its error code."""

    def __init__(self, message, status_code=None, code=None):
        super().__init__(message, status_code)
        self.code = code


class TplClient(JsonApiClient):
    partner = "3PL"
    transient_error = TransientTplError
    permanent_error = PermanentTplError

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
