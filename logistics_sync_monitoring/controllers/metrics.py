# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""GET /logistics_sync/metrics: the Prometheus text format, behind a bearer token.

Thin: check the token, render the figures read from the database, answer.
"""

from odoo import http
from odoo.http import request

from ..lib.exposition import CONTENT_TYPE


class LogisticsMetricsController(http.Controller):
    @http.route(
        "/logistics_sync/metrics",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def metrics(self, **_kwargs):
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not request.env["logistics.metrics.token"]._check_bearer(
            token.strip()
        ):
            # nothing about the figures, the endpoints or why the token failed
            return request.make_response(
                "unauthorized\n",
                status=401,
                headers=[("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
        # sudo: the caller is authenticated by its token; the figures are counts
        # only (no payload, no personal data), over every company
        body = request.env["logistics.sync.metrics"].sudo()._render()
        return request.make_response(body, headers=[("Content-Type", CONTENT_TYPE)])
