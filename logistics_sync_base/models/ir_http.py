# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import models
from odoo.http import request

from ..lib.dberrors import transient_db_error

_logger = logging.getLogger(__name__)

WEBHOOK_PREFIX = "/logistics_sync/v1/"
RETRY_AFTER_SECONDS = 5


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        """CONTRACT: the database is unavailable or a transaction conflict survived
        Odoo's own retries -> 503 with Retry-After and a JSON body.  The transaction
        was rolled back, so nothing is half-stored."""
        if (
            request
            and request.httprequest.path.startswith(WEBHOOK_PREFIX)
            # a conflict, the server going away mid-request, a closed connection...:
            # by SQLSTATE, as the job runner decides to retry (lib/dberrors.py)
            and transient_db_error(exception)
        ):
            _logger.warning(
                "Webhook %s answered 503: %s",
                request.httprequest.path,
                getattr(exception, "pgcode", None) or exception.__class__.__name__,
            )
            from ..hooks import _webhook_unavailable

            return _webhook_unavailable(request)
        return super()._handle_error(exception)
