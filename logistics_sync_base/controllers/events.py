# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Inbound webhooks: POST /logistics_sync/v1/events/<code> (CONTRACT.md).

Thin on purpose: find the endpoint, check the request, hand the events to
``logistics.event._ingest`` (which stores and enqueues), answer.  No stock
update runs inside the request.
"""

import json
import logging

import psycopg2

from odoo import http, sql_db
from odoo.http import request
from odoo.tools import config

from ..lib import canonical
from ..lib.signature import SignatureError
from ..models.ir_http import RETRY_AFTER_SECONDS

_logger = logging.getLogger(__name__)

LOCK_TIMEOUT = 2.0  # seconds


def _error(status, code, message, details=None, headers=None):
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return request.make_json_response(body, status=status, headers=headers)


def _unavailable(why):
    return _error(
        503,
        "unavailable",
        f"{why}; nothing was stored. Retry after {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _postgres_reachable():
    """Whether PostgreSQL answers at all (only asked when Odoo found no database)."""
    name = (config["db_name"] or "").split(",")[0].strip() or "postgres"
    try:
        with sql_db.db_connect(name).cursor() as cr:
            cr.execute("SELECT 1")
    except psycopg2.Error:
        return False
    return True


def _batch_too_large(max_batch, count):
    return _error(
        422,
        "batch_too_large",
        f"A batch holds at most {max_batch} events; this one has {count}.",
    )


class LogisticsEventsController(http.Controller):
    # auth="none": logistics_sync_base is also a server-wide module (README,
    # "Deployment"), so Odoo serves this route even when it cannot open the database
    # (PostgreSQL down or restarting): the sender then gets the contract's 503 with
    # Retry-After, never Odoo's HTML 404.  With a database the request runs as the
    # public user, as auth="public" would.
    @http.route(
        "/logistics_sync/v1/events/<string:code>",
        type="http",
        auth="none",
        readonly=False,  # it stores (auth="none" routes default to a read-only cursor)
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def receive_events(self, code, **_kwargs):
        if request.env is None:  # served without a database (see the route above)
            if _postgres_reachable():
                return _error(404, "unknown_endpoint", "No database serves this endpoint.")
            return _unavailable("The database cannot be reached")
        if "logistics.endpoint" not in request.env:  # a database without this addon
            return _error(404, "unknown_endpoint", f"No active endpoint with code {code!r}.")
        request.update_env(user=request.env.ref("base.public_user").id)
        # sudo: webhooks carry no Odoo session; the caller is authenticated by the
        # endpoint's signature below, and everything runs on that endpoint's company.
        # The endpoint comes from a per-worker cache (no query), cleared on any change.
        Endpoint = request.env["logistics.endpoint"].sudo()
        hook = Endpoint._webhook_snapshot(code)
        if hook is None:
            return _error(404, "unknown_endpoint", f"No active endpoint with code {code!r}.")
        httprequest = request.httprequest
        if not hook.source_allowed(httprequest.remote_addr):
            return _error(403, "forbidden_source", "This address may not post to the endpoint.")
        max_bytes = hook.max_bytes
        if (httprequest.content_length or 0) > max_bytes:
            return _error(413, "too_large", f"Body over the limit of {max_bytes} bytes.")
        if httprequest.mimetype != "application/json":
            return _error(415, "unsupported_media_type", "Content-Type must be application/json.")
        raw = httprequest.get_data(cache=True)
        if len(raw) > max_bytes:
            return _error(413, "too_large", f"Body over the limit of {max_bytes} bytes.")
        try:
            hook.verify_signature(httprequest.headers, raw)
        except SignatureError as exc:
            _logger.info("Webhook for endpoint %s refused: %s", hook.code, exc)
            return _error(401, "invalid_signature", f"Signature refused: {exc}.")
        # Counted after the signature: unsigned requests cannot use up a sender's budget.
        # (shared by every worker and host: one statement in this transaction; sudo:
        # the counter table is technical, no user reads it, the endpoint is signed)
        wait = (
            request.env["logistics.rate.hit"].sudo()._hit(hook.id, hook.rate_limit)
            if hook.rate_limit > 0
            else 0
        )
        if wait:
            return _error(
                429,
                "rate_limited",
                f"Rate limit of {hook.rate_limit} requests per minute exceeded.",
                headers={"Retry-After": str(wait)},
            )
        try:
            text = raw.decode("utf-8")  # JSON over HTTP is UTF-8 (RFC 8259)
            data = json.loads(text)
        except UnicodeDecodeError:
            return _error(400, "invalid_json", "Body is not UTF-8 encoded JSON.")
        except ValueError as exc:
            return _error(400, "invalid_json", f"Body is not JSON: {exc}.")
        except RecursionError:
            return _error(400, "invalid_json", "Body is nested too deeply.")
        single = isinstance(data, dict)
        items = [data] if single else data
        if not isinstance(items, list) or not items:
            return _error(
                422,
                "invalid_payload",
                "Body must be one event object or a non-empty array of event objects.",
            )
        max_batch = hook.max_batch
        if len(items) > max_batch:
            return _batch_too_large(max_batch, len(items))
        # A mapped body may carry many events (an events path): ``originals`` holds the
        # sender's item each event came from.
        events, errors, originals = hook.map_body(data)
        if errors:
            return _error(
                422,
                "unmapped_payload",
                f"{len(errors)} payload(s) do not fit the endpoint's mapping; nothing was stored.",
                details=errors,
            )
        if len(events) > max_batch:
            return _batch_too_large(max_batch, len(events))
        try:
            errors = request.env["logistics.event"]._validate_payloads(events)
            if "\\u0000" in text:  # rare: then look for the NUL PostgreSQL cannot store
                errors += canonical.nul_characters(items)
        except RecursionError:
            return _error(422, "invalid_events", "An event is nested too deeply.")
        if errors:
            return _error(
                422,
                "invalid_events",
                f"{len(errors)} schema violation(s); nothing was stored.",
                details=errors,
            )
        # Never keep a sender waiting on a lock: past LOCK_TIMEOUT the transaction
        # fails, Odoo retries it, and a conflict that survives answers 503 (ir_http.py).
        # sudo: the sender is authenticated by the signature, not an Odoo user; events
        # are stored on the endpoint's company only.
        try:
            status, body = (
                request.env["logistics.event"]
                .sudo()
                .with_company(hook.company_id)
                ._ingest(
                    Endpoint.browse(hook.id).with_company(hook.company_id),
                    events,
                    raw_single=text if single and len(events) == 1 else None,
                    originals=originals,
                    hook=hook,
                    lock_timeout=LOCK_TIMEOUT,
                )
            )
        except RecursionError:  # an unknown field nested deeper than hashing can follow
            request.env.cr.rollback()
            return _error(422, "invalid_events", "An event is nested too deeply.")
        except psycopg2.errors.LockNotAvailable:
            # A lock held past LOCK_TIMEOUT: answer at once rather than let Odoo retry
            # (up to five times, with pauses); the sender retries after Retry-After.
            request.env.cr.rollback()
            _logger.warning("Webhook for endpoint %s answered 503: lock timeout", hook.code)
            return _unavailable("The database is busy")
        return request.make_json_response(body, status=status)
