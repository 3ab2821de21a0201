# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL's stock snapshot of one warehouse compared with Odoo's stock at the same time.

Set-based: Odoo's side is one aggregate query (the warehouse's quants now, minus
what moved in after the snapshot, plus what moved out after it), the 3PL's side
is summed in Python, and only the discrepancies are stored (through the ORM).
Confirmations the 3PL had sent before its count but Odoo has not applied yet
(in flight) are counted as if applied.
"""

import json
from collections import defaultdict

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.logistics_sync_base.lib.canonical import parse_rfc3339
from odoo.addons.logistics_sync_base.lib.errors import PermanentEventError

COMPARED_STATUSES = ("available", "blocked")
IN_FLIGHT_STATES = ("received", "waiting", "failed")


class LogisticsTplSnapshot(models.Model):
    _name = "logistics.tpl.snapshot"
    _description = "Logistics Sync 3PL stock snapshot"
    _order = "taken_at desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Snapshot", required=True, readonly=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint", string="3PL", required=True, readonly=True, ondelete="cascade"
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Warehouse", required=True, readonly=True, check_company=True
    )
    company_id = fields.Many2one(related="warehouse_id.company_id", store=True, index=True)
    event_id = fields.Many2one("logistics.event", string="Event", readonly=True)
    taken_at = fields.Datetime(string="Taken at", required=True, readonly=True)
    line_count = fields.Integer(string="Lines compared", readonly=True)
    matched_count = fields.Integer(string="Lines matching", readonly=True)
    accuracy = fields.Float(
        string="Accuracy (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the product and lot lines on which Odoo and the 3PL agree.",
    )
    discrepancy_ids = fields.One2many(
        "logistics.tpl.discrepancy", "snapshot_id", string="Discrepancies"
    )
    discrepancy_count = fields.Integer(string="Discrepancies found", readonly=True)
    open_count = fields.Integer(string="Open discrepancies", compute="_compute_open_count")

    def _compute_open_count(self):
        counts = dict(
            self.env["logistics.tpl.discrepancy"]._read_group(
                [("snapshot_id", "in", self.ids), ("state", "=", "open")],
                ["snapshot_id"],
                ["__count"],
            )
        )
        for snapshot in self:
            snapshot.open_count = counts.get(snapshot, 0)

    # ------------------------------------------------------------ from an event
    def _tpl_from_event(self, event, data):
        warehouse = (
            self.env["stock.warehouse"]
            .sudo()
            .search(
                [
                    ("code", "=", data["warehouse"]),
                    ("company_id", "=", event.company_id.id),
                    ("tpl_endpoint_id", "=", event.endpoint_id.id),
                ],
                limit=1,
            )
        )
        if not warehouse:
            raise PermanentEventError(
                self.env._(
                    "Stock snapshot for warehouse %(code)s: no warehouse with that code is "
                    "operated by %(endpoint)s.",
                    code=data["warehouse"],
                    endpoint=event.endpoint_id.name,
                )
            )
        taken_at = parse_rfc3339(data["taken_at"]).replace(tzinfo=None)
        return (
            self.sudo()
            .with_company(warehouse.company_id)
            ._tpl_reconcile(
                warehouse, taken_at, data["lines"], name=event.shipment_ref, event=event
            )
        )

    # ------------------------------------------------------------ the comparison
    def _tpl_reconcile(self, warehouse, taken_at, lines, name, event=None):
        """Compare ``lines`` (the 3PL's ``{sku, lot, quantity, status}``) with Odoo's
        stock of ``warehouse`` at ``taken_at``; store the snapshot and its
        discrepancies; returns the snapshot."""
        endpoint = warehouse.tpl_endpoint_id
        theirs = defaultdict(float)
        for line in lines:
            if (line.get("status") or "available") in COMPARED_STATUSES:
                theirs[(line["sku"], line.get("lot") or None)] += line["quantity"]
        products = self._tpl_products({sku for sku, _lot in theirs})
        lot_names = {lot for _sku, lot in theirs if lot}
        ours, lot_of = self._tpl_odoo_stock(warehouse, taken_at, products, lot_names)
        self._tpl_in_flight(endpoint, taken_at, ours)
        keys = set(theirs) | set(ours)
        discrepancies, matched = [], 0
        for key in keys:
            odoo_qty, tpl_qty = ours.get(key, 0.0), theirs.get(key, 0.0)
            if abs(odoo_qty - tpl_qty) < 1e-6:
                matched += 1
                continue
            sku, lot = key
            discrepancies.append(
                {
                    "sku": sku,
                    "lot_name": lot or False,
                    "product_id": products.get(sku, False),
                    "lot_id": lot_of.get((products.get(sku), lot), False) if lot else False,
                    "odoo_qty": odoo_qty,
                    "tpl_qty": tpl_qty,
                }
            )
        prices = self._tpl_prices({d["product_id"] for d in discrepancies if d["product_id"]})
        for values in discrepancies:
            values["value"] = (values["tpl_qty"] - values["odoo_qty"]) * prices.get(
                values["product_id"], 0.0
            )
        accuracy = 100.0 * matched / len(keys) if keys else 100.0
        snapshot = self.create(
            {
                "name": name,
                "endpoint_id": endpoint.id,
                "warehouse_id": warehouse.id,
                "event_id": event.id if event else False,
                "taken_at": taken_at,
                "line_count": len(keys),
                "matched_count": matched,
                "accuracy": accuracy,
                "discrepancy_count": len(discrepancies),
            }
        )
        for values in discrepancies:
            values["snapshot_id"] = snapshot.id
        self.env["logistics.tpl.discrepancy"].create(discrepancies)
        if not warehouse.tpl_snapshot_at or warehouse.tpl_snapshot_at <= taken_at:
            warehouse.write({"tpl_accuracy": accuracy, "tpl_snapshot_at": taken_at})
        return snapshot

    def _tpl_products(self, skus):
        """sku -> product id (one query; archived products count too)."""
        if not skus:
            return {}
        self.env["product.product"].flush_model(["default_code"])
        self.env.cr.execute(
            SQL(
                "SELECT default_code, min(id) FROM product_product"
                " WHERE default_code = ANY(%s) GROUP BY default_code",
                list(skus),
            )
        )
        return dict(self.env.cr.fetchall())

    def _tpl_odoo_stock(self, warehouse, taken_at, products, lot_names):
        """Odoo's stock of the warehouse's internal locations at ``taken_at``, by
        (sku, lot name): ``(quantities, (product id, lot name) -> lot id)``."""
        for model in ("stock.quant", "stock.move.line", "stock.lot", "stock.location"):
            self.env[model].flush_model()
        self.env["product.product"].flush_model(["default_code"])
        view = warehouse.view_location_id
        self.env.cr.execute(
            SQL(
                """
                WITH loc AS (
                    SELECT id FROM stock_location
                     WHERE parent_path LIKE %(path)s AND usage = 'internal'
                ), moves AS (
                    SELECT product_id, lot_id, quantity AS qty FROM stock_quant
                     WHERE location_id IN (SELECT id FROM loc)
                    UNION ALL
                    SELECT product_id, lot_id, -quantity_product_uom FROM stock_move_line
                     WHERE state = 'done' AND date > %(at)s
                       AND location_dest_id IN (SELECT id FROM loc)
                       AND location_id NOT IN (SELECT id FROM loc)
                    UNION ALL
                    SELECT product_id, lot_id, quantity_product_uom FROM stock_move_line
                     WHERE state = 'done' AND date > %(at)s
                       AND location_id IN (SELECT id FROM loc)
                       AND location_dest_id NOT IN (SELECT id FROM loc)
                )
                SELECT p.default_code, p.id, l.name, l.id, sum(m.qty)
                  FROM moves m
                  JOIN product_product p ON p.id = m.product_id
                  LEFT JOIN stock_lot l ON l.id = m.lot_id
                 GROUP BY p.default_code, p.id, l.name, l.id
                """,
                path=f"{view.parent_path}%",
                at=taken_at,
            )
        )
        ours, lot_of = defaultdict(float), {}
        for sku, product_id, lot_name, lot_id, qty in self.env.cr.fetchall():
            key = (sku or f"[{product_id}]", lot_name)
            ours[key] += qty
            products.setdefault(key[0], product_id)
            if lot_id:
                lot_of[(product_id, lot_name)] = lot_id
        if lot_names:
            self.env.cr.execute(
                SQL(
                    "SELECT product_id, name, id FROM stock_lot WHERE name = ANY(%s)"
                    " AND product_id = ANY(%s)",
                    list(lot_names),
                    [pid for pid in products.values() if pid],
                )
            )
            for product_id, lot_name, lot_id in self.env.cr.fetchall():
                lot_of.setdefault((product_id, lot_name), lot_id)
        return ours, lot_of

    def _tpl_in_flight(self, endpoint, taken_at, ours):
        """Confirmations the 3PL sent before its count that Odoo has not applied
        yet: counted as applied (shipped out, received in)."""
        events = self.env["logistics.event"].search(
            [
                ("endpoint_id", "=", endpoint.id),
                ("event_type", "in", ("tpl_shipping_confirmation", "tpl_receipt_confirmation")),
                ("state", "in", IN_FLIGHT_STATES),
                ("occurred_at", "<=", taken_at),
            ]
        )
        for event in events:
            sign = -1.0 if event.event_type == "tpl_shipping_confirmation" else 1.0
            for row in json.loads(event.payload).get("lines", []):
                quantity = row.get("quantity")
                if isinstance(quantity, int | float) and quantity > 0:
                    ours[(row["sku"], row.get("lot") or None)] += sign * quantity

    def _tpl_prices(self, product_ids):
        products = self.env["product.product"].browse(list(product_ids))
        return {product.id: product.standard_price for product in products}

    def action_view_discrepancies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_3pl.logistics_tpl_discrepancy_action"
        )
        action["domain"] = [("snapshot_id", "=", self.id)]
        return action
