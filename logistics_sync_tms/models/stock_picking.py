# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Transfers released to a TMS: routing, triggers, and changes that follow the release."""

from odoo import api, fields, models

from ..lib.windows import window

# Changes of these fields of a released transfer become a new version at the TMS.
WATCHED = frozenset({"partner_id", "scheduled_date", "date_deadline", "note"})


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # one release per transfer (unique); the transfer's row is never written for it:
    # creating releases, their jobs and event processing never wait on each other there
    tms_release_ids = fields.One2many(
        "logistics.tms.release",
        "picking_id",
        string="TMS releases",
        readonly=True,
        groups="logistics_sync_base.group_logistics_sync_user",
    )
    tms_release_id = fields.Many2one(
        "logistics.tms.release",
        string="TMS release",
        compute="_compute_tms_release_id",
        search="_search_tms_release_id",
        # the release is a pipeline record: whoever reads the transfer reads its status
        compute_sudo=True,
    )
    # not stored: a release's job then never writes the transfer's row (which event
    # processing locks first), and a batch window writes no transfer at all
    tms_release_state = fields.Selection(related="tms_release_id.state", string="TMS release state")
    tms_ref = fields.Char(related="tms_release_id.tms_ref", string="TMS reference")
    tms_planned_delivery = fields.Datetime(
        related="tms_release_id.planned_delivery_end", string="Planned delivery"
    )
    tms_exception = fields.Boolean(string="TMS exception", related="tms_release_id.exception")
    tms_block_reason = fields.Text(
        string="TMS release blocked because", related="tms_release_id.block_reason"
    )
    tms_load_ref = fields.Char(related="tms_release_id.load_ref", string="TMS load")

    @api.depends("tms_release_ids")
    def _compute_tms_release_id(self):
        for picking in self:
            picking.tms_release_id = picking.tms_release_ids[:1]

    def _search_tms_release_id(self, operator, value):
        return [("tms_release_ids", operator, value)]

    def _tms_create_releases(self, endpoint=None, trigger=None):
        """Release these transfers: one release each (routing rules choose the TMS,
        unless ``endpoint`` is given).  ``trigger`` ("ready", "sale_confirm"): only
        endpoints releasing on it, or in batch windows.  Real-time endpoints get one
        job per release now; batch endpoints send at their next window.

        Returns the releases created.  sudo: whoever confirms or validates (a Sales
        or Inventory user in no Logistics Sync group) releases; the release and its
        job are pipeline records."""
        Release = self.env["logistics.tms.release"].sudo()
        pickings = self.sudo()
        # one query (a window releases hundreds of transfers), in the given order
        found = set(
            pickings.search(
                [
                    ("id", "in", pickings.ids),
                    ("tms_release_ids", "=", False),
                    ("state", "not in", ("draft", "cancel", "done")),
                    ("picking_type_code", "=", "outgoing"),
                ]
            ).ids
        )
        candidates = pickings.filtered(lambda p: p.id in found)
        if not candidates:
            return Release
        if endpoint:
            routed = {picking: endpoint for picking in candidates}
        else:
            routed = self.env["logistics.tms.route"].sudo()._route(candidates)
        vals_list = []
        for picking, target in routed.items():
            if trigger and target.tms_trigger not in (trigger, "batch"):
                continue
            vals_list.append(
                {
                    "name": picking.name,
                    "picking_id": picking.id,
                    "endpoint_id": target.id,
                    "state": "queued",
                }
            )
        if not vals_list:
            return Release
        releases = Release.create(vals_list)
        releases.filtered(lambda r: r.endpoint_id.tms_trigger != "batch")._tms_enqueue()
        return releases

    # ------------------------------------------------------------ triggers
    def _tms_on_ready(self):
        ready = self.filtered(lambda p: p.state == "assigned")
        if ready:
            ready._tms_create_releases(trigger="ready")

    def write(self, vals):
        res = super().write(vals)
        if WATCHED.intersection(vals) and not self.env.context.get("tms_no_touch"):
            self.sudo().tms_release_id._tms_touch()
        return res

    def action_cancel(self):
        res = super().action_cancel()
        self.sudo().tms_release_id.filtered(
            lambda r: r.picking_id.state == "cancel"
        )._tms_request_cancel()
        return res

    def _create_backorder(self, backorder_moves=None):
        backorders = super()._create_backorder(backorder_moves=backorder_moves)
        for backorder in backorders:
            origin = backorder.backorder_id.sudo().tms_release_id
            if origin and origin.state != "cancelled":
                # a partial shipment: the shipped part is an update of the release,
                # the rest is a shipment of its own, to the same TMS
                backorder._tms_create_releases(endpoint=origin.endpoint_id)
                origin._tms_touch()
        return backorders

    @api.model
    def _tms_touch_partners(self, partners):
        pickings = self.sudo().search(
            [
                ("partner_id", "in", partners.ids),
                ("tms_release_ids", "!=", False),
                ("state", "not in", ("done", "cancel")),
            ]
        )
        pickings.tms_release_id._tms_touch()

    # ------------------------------------------------------------ windows
    def _tms_pickup_window(self, endpoint):
        """(start, end) in UTC of the pickup the TMS is asked for: the warehouse's
        pickup hours from the scheduled date on, else the scheduled date and the
        endpoint's pickup window."""
        self.ensure_one()
        warehouse = self.picking_type_id.warehouse_id
        place = warehouse.partner_id or self.company_id.partner_id
        return window(
            self.scheduled_date,
            endpoint.tms_pickup_window_hours or 4,
            place.tz or self.company_id.partner_id.tz,
            warehouse.tms_pickup_hour_from,
            warehouse.tms_pickup_hour_to,
        )

    def _tms_delivery_window(self, endpoint):
        """(start, end) in UTC of the delivery the TMS is asked for: the delivery
        address's receiving hours (else its company's) on the deadline's day, else the
        deadline and the endpoint's delivery window; None without a deadline."""
        self.ensure_one()
        address = self.partner_id
        hours = address if address.tms_delivery_hour_to else address.commercial_partner_id
        return window(
            self.date_deadline,
            endpoint.tms_delivery_window_hours or 8,
            address.tz or hours.tz or self.company_id.partner_id.tz,
            hours.tms_delivery_hour_from,
            hours.tms_delivery_hour_to,
            clip=False,
        )
