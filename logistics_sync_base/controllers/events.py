# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Inbound webhooks: POST /logistics_sync/v1/events/<code> (CONTRACT.md).

Thin on purpose: find the endpoint, check the request, hand the events to
``logistics.event._ingest`` (which stores and enqueues), answer.  No stock
update runs inside the request.
"""

import json
import logging

from odoo import http
from odoo.http import request

from ..lib import canonical
from ..lib.signature import SignatureError

_logger = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 500


def _error(status, code, message, details=None, headers=None):
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return request.make_json_response(body, status=status, headers=headers)


class LogisticsEventsController(http.Controller):
    @http.route(
        "/logistics_sync/v1/events/<string:code>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def receive_events(self, code, **_kwargs):
        # sudo: webhooks carry no Odoo session; the caller is authenticated by the
        # endpoint's signature below, and everything runs on that endpoint's company.
        endpoint = (
            request.env["logistics.endpoint"]
            .sudo()
            .search([("code", "=", code), ("active", "=", True)], limit=1)
        )
        if not endpoint:
            return _error(404, "unknown_endpoint", f"No active endpoint with code {code!r}.")
        endpoint = endpoint.with_company(endpoint.company_id)
        httprequest = request.httprequest
        if not endpoint._source_allowed(httprequest.remote_addr):
            return _error(403, "forbidden_source", "This address may not post to the endpoint.")
        wait = endpoint._rate_limited()
        if wait:
            return _error(
                429,
                "rate_limited",
                f"Rate limit of {endpoint.rate_limit_per_minute} requests per minute exceeded.",
                headers={"Retry-After": str(wait)},
            )
        max_bytes = endpoint.max_body_kb * 1024
        if (httprequest.content_length or 0) > max_bytes:
            return _error(413, "too_large", f"Body over the limit of {max_bytes} bytes.")
        if httprequest.mimetype != "application/json":
            return _error(415, "unsupported_media_type", "Content-Type must be application/json.")
        raw = httprequest.get_data(cache=True)
        if len(raw) > max_bytes:
            return _error(413, "too_large", f"Body over the limit of {max_bytes} bytes.")
        try:
            endpoint._verify_signature(httprequest.headers, raw)
        except SignatureError as exc:
            _logger.info("Webhook for endpoint %s refused: %s", endpoint.code, exc)
            return _error(401, "invalid_signature", f"Signature refused: {exc}.")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            return _error(400, "invalid_json", f"Body is not JSON: {exc}.")
        single = isinstance(data, dict)
        events = [data] if single else data
        if not isinstance(events, list) or not events:
            return _error(
                422,
                "invalid_payload",
                "Body must be one event object or a non-empty array of event objects.",
            )
        max_batch = int(
            request.env["ir.config_parameter"]
            .sudo()
            .get_param("logistics_sync.max_batch_size", DEFAULT_MAX_BATCH)
        )
        if len(events) > max_batch:
            return _error(
                422,
                "batch_too_large",
                f"A batch holds at most {max_batch} events; this one has {len(events)}.",
            )
        errors = canonical.validate_events(events)
        if errors:
            return _error(
                422,
                "invalid_events",
                f"{len(errors)} schema violation(s); nothing was stored.",
                details=errors,
            )
        status, body = (
            request.env["logistics.event"]
            .sudo()
            .with_company(endpoint.company_id)
            ._ingest(endpoint, events, raw_single=raw.decode() if single else None)
        )
        return request.make_json_response(body, status=status)
