# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Transfers of a 3PL warehouse released to its 3PL, and changes that follow."""

from odoo import api, fields, models

# Changes of these fields of a released transfer become a new version.
WATCHED = frozenset({"partner_id", "scheduled_date", "origin", "carrier_id"})
DOCUMENT_TYPES = {"outgoing": "shipping_order", "incoming": "receipt_advice"}


class StockPicking(models.Model):
    _inherit = "stock.picking"

    tpl_release_ids = fields.One2many(
        "logistics.tpl.release",
        "picking_id",
        string="3PL documents",
        readonly=True,
        groups="logistics_sync_base.group_logistics_sync_user",
    )
    tpl_release_id = fields.Many2one(
        "logistics.tpl.release",
        string="3PL document",
        compute="_compute_tpl_release_id",
        search="_search_tpl_release_id",
        # the document is a pipeline record: whoever reads the transfer reads its status
        compute_sudo=True,
    )
    tpl_release_state = fields.Selection(
        related="tpl_release_id.state", string="3PL document state"
    )
    tpl_exception = fields.Boolean(string="3PL exception", related="tpl_release_id.exception")
    # supplier notices: read by Inventory users (not by a seller reading a delivery)
    tpl_inbound_asn_ids = fields.One2many(
        "logistics.tpl.inbound.asn",
        "picking_id",
        string="Supplier notices",
        readonly=True,
        groups="stock.group_stock_user",
    )
    tpl_inbound_asn_id = fields.Many2one(
        "logistics.tpl.inbound.asn",
        string="Supplier notice",
        compute="_compute_tpl_inbound_asn_id",
        search="_search_tpl_inbound_asn_id",
        groups="stock.group_stock_user",
        help="The supplier's advance ship notice of this receipt (the latest replaces the "
        "earlier ones).",
    )
    tpl_inbound_asn_line_ids = fields.One2many(
        "logistics.tpl.inbound.asn.line",
        "picking_id",
        string="Announced by the supplier",
        readonly=True,
        groups="stock.group_stock_user",
    )
    tpl_asn_expected_date = fields.Datetime(
        related="tpl_inbound_asn_id.expected_date",
        string="Expected arrival (ASN)",
        groups="stock.group_stock_user",
    )

    @api.depends("tpl_release_ids")
    def _compute_tpl_release_id(self):
        for picking in self:
            picking.tpl_release_id = picking.tpl_release_ids[:1]

    def _search_tpl_release_id(self, operator, value):
        return [("tpl_release_ids", operator, value)]

    @api.depends("tpl_inbound_asn_ids")
    def _compute_tpl_inbound_asn_id(self):
        for picking in self:
            picking.tpl_inbound_asn_id = picking.tpl_inbound_asn_ids[:1]

    def _search_tpl_inbound_asn_id(self, operator, value):
        return [("tpl_inbound_asn_ids", operator, value)]

    def action_view_tpl_inbound_asn(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Supplier notice"),
            "res_model": "logistics.tpl.inbound.asn",
            "res_id": self.tpl_inbound_asn_id.id,
            "view_mode": "form",
        }

    def _tpl_prefill_from_asn(self, allocations, by_id):
        """The detailed operations of the moves a supplier's notice announces, as it
        announces them (quantities, lots or serial numbers, expiry dates where Odoo
        tracks them): validating the receipt then creates those lots."""
        self.ensure_one()
        self.env["stock.move"].browse({a["line_id"] for a in allocations}).move_line_ids.unlink()
        wanted = {(by_id[a["line_id"]].product_id.id, a["lot"]) for a in allocations if a["lot"]}
        known = {}
        if wanted:
            for lot in self.env["stock.lot"].search(
                [
                    ("product_id", "in", list({product for product, _name in wanted})),
                    ("name", "in", list({name for _product, name in wanted})),
                    ("company_id", "in", (self.company_id.id, False)),
                ]
            ):
                known[(lot.product_id.id, lot.name)] = lot
        with_expiry = "expiration_date" in self.env["stock.move.line"]._fields
        vals_list = []
        for alloc in allocations:
            if alloc["quantity"] <= 0:
                continue
            move = by_id[alloc["line_id"]]
            vals = {
                "move_id": move.id,
                "picking_id": self.id,
                "product_id": move.product_id.id,
                "product_uom_id": move.product_uom.id,
                "location_id": move.location_id.id,
                "location_dest_id": move.location_dest_id.id,
                "quantity": alloc["quantity"],
            }
            lot = known.get((move.product_id.id, alloc["lot"]))
            if lot:
                vals["lot_id"] = lot.id
            elif alloc["lot"]:
                vals["lot_name"] = alloc["lot"]
                if with_expiry and alloc["expiry_date"]:
                    vals["expiration_date"] = fields.Datetime.to_datetime(alloc["expiry_date"])
            vals_list.append(vals)
        self.env["stock.move.line"].create(vals_list)

    def _tpl_release(self):
        """Release these transfers to the 3PL of their warehouse (one document each,
        once).  sudo: whoever confirms (a Sales or Inventory user in no Logistics
        Sync group) releases; the document and its job are pipeline records."""
        pickings = self.sudo().filtered(
            lambda p: p.picking_type_code in DOCUMENT_TYPES
            and p.picking_type_id.warehouse_id.tpl_endpoint_id
            and p.state not in ("draft", "cancel", "done")
            and not p.tpl_release_ids
        )
        if not pickings:
            return self.env["logistics.tpl.release"]
        releases = (
            self.env["logistics.tpl.release"]
            .sudo()
            .create(
                [
                    {
                        "name": picking.name,
                        "picking_id": picking.id,
                        "warehouse_id": picking.picking_type_id.warehouse_id.id,
                        "endpoint_id": picking.picking_type_id.warehouse_id.tpl_endpoint_id.id,
                        "document_type": DOCUMENT_TYPES[picking.picking_type_code],
                    }
                    for picking in pickings
                ]
            )
        )
        releases._tpl_enqueue()
        return releases

    def write(self, vals):
        res = super().write(vals)
        if WATCHED.intersection(vals) and not self.env.context.get("tpl_no_touch"):
            self.sudo().tpl_release_id._tpl_touch()
        return res

    def action_cancel(self):
        res = super().action_cancel()
        self.sudo().tpl_release_id.filtered(
            lambda r: r.picking_id.state == "cancel"
        )._tpl_request_cancel()
        return res

    def _create_backorder(self, backorder_moves=None):
        backorders = super()._create_backorder(backorder_moves=backorder_moves)
        # a short pick or receipt: the rest is a document of its own, to the same 3PL
        backorders.filtered(lambda b: b.backorder_id.sudo().tpl_release_id)._tpl_release()
        return backorders

    def _action_done(self):
        res = super()._action_done()
        self.env["logistics.tpl.asn"]._tpl_create_for(self.filtered(lambda p: p.state == "done"))
        return res
