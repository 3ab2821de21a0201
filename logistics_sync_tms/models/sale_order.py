# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from odoo.addons.logistics_sync_base.lib import milestones


class SaleOrder(models.Model):
    _inherit = "sale.order"

    logistics_milestone = fields.Selection(
        milestones.SELECTION,
        string="Shipment status",
        compute="_compute_logistics_status",
        # from the order's own transfers: computed as the superuser so that a
        # salesperson who may read the order reads its shipment status too
        compute_sudo=True,
        help="The least advanced milestone of the order's outgoing transfers: the order "
        "is only as far as its slowest shipment.",
    )
    logistics_exception = fields.Boolean(
        string="Shipment exception", compute="_compute_logistics_status", compute_sudo=True
    )

    @api.depends("picking_ids.logistics_milestone", "picking_ids.logistics_exception")
    def _compute_logistics_status(self):
        for order in self:
            shipments = order.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            )
            reported = [p.logistics_milestone for p in shipments if p.logistics_milestone]
            if reported and len(reported) == len(shipments):
                order.logistics_milestone = min(reported, key=milestones.rank)
            else:
                order.logistics_milestone = False
            order.logistics_exception = any(shipments.mapped("logistics_exception"))
