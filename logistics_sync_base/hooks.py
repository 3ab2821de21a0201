# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""post_load: the webhook's 503 also where Odoo opens or closes the request's cursor.

Odoo answers an exception raised outside the request's transaction (PostgreSQL going
away while ``_serve_db`` closes the cursor it matched the route with, or while
``_transactioning`` opens the next one) with ``HttpDispatcher.handle_error``: an HTML
500 that no module can hook.  For the webhook path only, a database error there
(classified by SQLSTATE as the job runner does, lib/dberrors.py) answers the
contract's 503 with Retry-After and the JSON body (CONTRACT.md), as
``ir.http._handle_error`` does inside the transaction.  Applied once per process
(logistics_sync_base is a server-wide module, README "Deployment").

It also gives the queue_job runner a channel per endpoint (jobrunner.py).
"""

from odoo import http
from odoo.tools import SQL

from .jobrunner import patch_runner
from .lib.dberrors import transient_db_error
from .models.ir_http import RETRY_AFTER_SECONDS, WEBHOOK_PREFIX


def _webhook_unavailable(request):
    return request.make_json_response(
        {
            "error": {
                "code": "unavailable",
                "message": "The database is busy or unavailable; nothing was stored. "
                f"Retry after {RETRY_AFTER_SECONDS} seconds.",
                "details": [],
            }
        },
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def post_load():
    patch_runner()
    original = http.HttpDispatcher.handle_error
    if getattr(original, "logistics_sync_patched", False):
        return

    def handle_error(self, exc):
        if transient_db_error(exc) and self.request.httprequest.path.startswith(WEBHOOK_PREFIX):
            return _webhook_unavailable(self.request)
        return original(self, exc)

    handle_error.logistics_sync_patched = True
    http.HttpDispatcher.handle_error = handle_error


def pre_init_hook(env):
    """Install on a database with many transfers: the stored computed column
    ``stock_picking.logistics_sync_state`` is added here with its value for a transfer
    without events ("none": nothing has been received before the install), in one
    statement that rewrites no row (a default, then dropped), so Odoo finds the column
    and does not compute it transfer by transfer."""
    env.cr.execute(
        SQL(
            "ALTER TABLE stock_picking ADD COLUMN IF NOT EXISTS logistics_sync_state varchar"
            " DEFAULT 'none'; ALTER TABLE stock_picking ALTER COLUMN logistics_sync_state"
            " DROP DEFAULT"
        )
    )
