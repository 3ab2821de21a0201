# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The customer's shipment tracking page and proof of delivery, with the order's
access token (the link in emails) or as the portal user the order belongs to."""

from werkzeug.exceptions import NotFound

from odoo import exceptions, http
from odoo.http import request
from odoo.tools import consteq


class LogisticsShipmentPortal(http.Controller):
    def _shipment(self, picking_id, access_token):
        """The transfer (sudo) when the visitor may see its sale order, else 404."""
        # sudo: read to find the order; nothing is shown before the check below
        picking = request.env["stock.picking"].sudo().browse(picking_id).exists()
        order = picking.sale_id if picking else None
        if not order or picking.picking_type_code != "outgoing":
            raise NotFound()
        if access_token and order.access_token and consteq(order.access_token, access_token):
            return picking
        try:
            request.env["sale.order"].browse(order.id).check_access("read")
        except (exceptions.AccessError, exceptions.MissingError):
            raise NotFound() from None
        return picking

    @http.route("/my/shipment/<int:picking_id>", type="http", auth="public", website=True)
    def shipment_page(self, picking_id, access_token=None, **kw):
        picking = self._shipment(picking_id, access_token)
        return request.render(
            "logistics_sync_notify.portal_shipment_page",
            {
                "picking": picking,
                "sale_order": picking.sale_id,
                "access_token": access_token,
                "page_name": "logistics_shipment",
            },
        )

    @http.route("/my/shipment/<int:picking_id>/pod", type="http", auth="public")
    def shipment_pod(self, picking_id, access_token=None, **kw):
        picking = self._shipment(picking_id, access_token)
        attachment = picking._logistics_pod_attachment()
        if not attachment:
            raise NotFound()
        return (
            request.env["ir.binary"]._get_stream_from(attachment).get_response(as_attachment=True)
        )
