# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS REST/JSON API (``/tms/v1``, docs/TMS_API.md): create a shipment request
(alone or in batches), update, cancel.

Every call has a timeout, goes through a pinned session (SSRF: it connects to the
address the check approved), never follows redirects, sends an ``Idempotency-Key``
and ends in an outbound error of the base (transient: try again; permanent: the
TMS refused).  Messages never hold the token.
"""

from urllib.parse import quote

from odoo.addons.logistics_sync_base.adapters.errors import (
    PermanentOutboundError,
    TransientOutboundError,
)
from odoo.addons.logistics_sync_base.adapters.json_api import JsonApiClient


class TransientTmsError(TransientOutboundError):
    """Try again later (timeouts, connection errors, 429, 5xx)."""


class PermanentTmsError(PermanentOutboundError):
    """The TMS refused the request; ``code`` is its error code (``shipment_cancelled``...)."""

    def __init__(self, message, status_code=None, code=None):
        super().__init__(message, status_code)
        self.code = code


class TmsClient(JsonApiClient):
    partner = "TMS"
    transient_error = TransientTmsError
    permanent_error = PermanentTmsError

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
