# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The opt-out link of every shipment email: no login, a signed link.

GET shows what the link does and a button; POST (the button) does it, so that a
mail scanner following links opts nobody out.
"""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from ..lib import optout


class LogisticsNotifyOptout(http.Controller):
    def _optout_partner(self, partner_id, channel, token):
        # sudo: the signature (keyed with the database secret, checked in constant
        # time) is the authorisation; only this partner's opt-out flag is touched
        secret = request.env["ir.config_parameter"].sudo().get_param("database.secret")
        if not optout.verify(secret, request.env.cr.dbname, partner_id, channel, token):
            raise NotFound()
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if not partner:
            raise NotFound()
        return partner

    @http.route(
        "/logistics_sync/notify/optout/<int:partner_id>/<string:channel>",
        type="http",
        auth="public",
        methods=["GET"],
    )
    def optout_page(self, partner_id, channel, token=None, **kw):
        partner = self._optout_partner(partner_id, channel, token)
        return request.render(
            "logistics_sync_notify.optout_page",
            {"partner": partner, "channel": channel, "token": token, "done": False},
        )

    @http.route(
        "/logistics_sync/notify/optout/<int:partner_id>/<string:channel>",
        type="http",
        auth="public",
        methods=["POST"],
    )
    def optout_confirm(self, partner_id, channel, token=None, **kw):
        partner = self._optout_partner(partner_id, channel, token)
        partner.write({f"logistics_notify_{channel}_optout": True})
        return request.render(
            "logistics_sync_notify.optout_page",
            {"partner": partner, "channel": channel, "token": token, "done": True},
        )
