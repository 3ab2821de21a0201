# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import http
from odoo.http import request
from odoo.tools import SQL


class BenchBaseline(http.Controller):
    @http.route(
        "/logistics_sync_bench/bare",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def bare(self, **_kwargs):
        """Same routing and auth as the webhook; reads the body and does one INSERT."""
        body = request.httprequest.get_data(as_text=True)
        request.env.cr.execute(
            SQL("INSERT INTO logistics_sync_bench_row (payload) VALUES (%s)", body)
        )
        return request.make_json_response({"status": "accepted"}, status=202)
