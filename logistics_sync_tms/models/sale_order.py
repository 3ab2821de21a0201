# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .logistics_tms_release import STATES
from odoo.addons.logistics_sync_base.lib import milestones

# The least advanced release speaks for the order (it is only as far as its slowest shipment).
RELEASE_ORDER = {
    "blocked": 0,
    "rejected": 1,
    "draft": 2,
    "queued": 3,
    "sent": 4,
    "accepted": 5,
    "planned": 6,
    "cancelled": 7,
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    logistics_milestone = fields.Selection(
        milestones.SELECTION,
        string="Shipment status",
        compute="_compute_logistics_status",
        store=True,
        index=True,
        # from the order's own transfers: computed as the superuser so that a
        # salesperson who may read the order reads its shipment status too
        compute_sudo=True,
        help="The least advanced milestone the carrier or TMS reported for the order's "
        "outgoing transfers, once all of them are shipped (done): the order is only as "
        "far as its slowest shipment, and an order whose delivery is not validated yet "
        "shows no shipment status, whatever a carrier or TMS reports for it.",
    )
    logistics_exception = fields.Boolean(
        string="Shipment exception",
        compute="_compute_logistics_status",
        compute_sudo=True,
        store=True,
        index=True,
        help="A carrier or TMS exception on a transfer, or a TMS release blocked, "
        "rejected, refused or unanswered.",
    )
    tms_release_state = fields.Selection(
        STATES,
        string="TMS release",
        compute="_compute_logistics_status",
        compute_sudo=True,
        store=True,
        index=True,
    )
    tms_ref = fields.Char(
        string="TMS reference", compute="_compute_logistics_status", compute_sudo=True, store=True
    )
    tms_planned_delivery = fields.Datetime(
        string="Planned delivery",
        compute="_compute_logistics_status",
        compute_sudo=True,
        store=True,
    )

    @api.depends(
        "picking_ids.logistics_milestone",
        "picking_ids.logistics_exception",
        "picking_ids.state",
        "picking_ids.tms_release_ids.state",
        "picking_ids.tms_release_ids.tms_ref",
        "picking_ids.tms_release_ids.planned_delivery_end",
        "picking_ids.tms_release_ids.exception",
    )
    def _compute_logistics_status(self):
        for order in self:
            shipments = order.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            )
            # only shipped transfers: a TMS may report progress of a delivery Odoo
            # has not validated, which the order must not claim
            reported = [
                p.logistics_milestone
                for p in shipments
                if p.logistics_milestone and p.state == "done"
            ]
            if reported and len(reported) == len(shipments):
                order.logistics_milestone = min(reported, key=milestones.rank)
            else:
                order.logistics_milestone = False
            released = order.picking_ids.filtered("tms_release_state")
            live = released.filtered(lambda p: p.tms_release_state != "cancelled") or released
            states = live.mapped("tms_release_state")
            order.tms_release_state = (
                min(states, key=lambda s: RELEASE_ORDER.get(s, 9)) if states else False
            )
            order.tms_ref = ", ".join(r for r in live.mapped("tms_ref") if r) or False
            planned = [d for d in live.mapped("tms_planned_delivery") if d]
            order.tms_planned_delivery = max(planned) if planned else False
            order.logistics_exception = (
                any(shipments.mapped("logistics_exception"))
                or any(live.mapped("tms_exception"))
                or any(s in ("blocked", "rejected") for s in states)
            )

    def action_confirm(self):
        res = super().action_confirm()
        # trigger "sale_confirm" (and batch endpoints): release the order's deliveries
        self.picking_ids._tms_create_releases(trigger="sale_confirm")
        return res
