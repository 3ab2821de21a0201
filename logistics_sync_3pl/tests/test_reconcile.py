# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL stock snapshot compared with Odoo's stock at its time: discrepancies listed
with their value, applied by an Inventory / Administrator as an inventory
adjustment or dismissed with a reason; an Inventory / User may do neither."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import TplCommon


@tagged("post_install", "-at_install")
class TestReconcile(TplCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl()
        cls.lot1 = cls.env["stock.lot"].create(
            {"name": "L-1", "product_id": cls.lot_product.id, "company_id": cls.company.id}
        )

    def _on_hand(self, product, lot=None):
        return product.with_context(location=self.stock.id, lot_id=lot and lot.id).qty_available

    def _snapshot_event(self, lines, taken_at, event_id="snap-1"):
        return {
            "event_id": event_id,
            "shipment_ref": f"SNAP-{event_id}",
            "occurred_at": "2026-12-01T10:00:00Z",
            "type": "tpl_stock_snapshot",
            "warehouse": "W3PL",
            "taken_at": taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lines": lines,
        }

    def test_snapshot_discrepancies_applied_and_dismissed(self):
        self._put_stock(self.product, 10)
        self._put_stock(self.lot_product, 5, self.lot1)
        taken_at = fields.Datetime.now() - timedelta(minutes=5)
        # shipped after the 3PL counted: Odoo's stock at the count still has those 2
        picking, _release = self._released([(self.product, 2)])
        shipped_at = fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self._confirm(
            self._shipping(
                picking, [{"sku": "WIDGET", "quantity": 2}], "ship-r", shipped_at=shipped_at
            )
        )
        self.assertEqual(picking.state, "done")
        event = self._confirm(
            self._snapshot_event(
                [
                    {"sku": "WIDGET", "quantity": 10, "status": "available"},
                    {"sku": "PAINT", "lot": "L-1", "quantity": 4, "status": "available"},
                    {"sku": "PAINT", "lot": "L-2", "quantity": 3, "status": "blocked"},
                    {"sku": "PAINT", "lot": "L-3", "quantity": 9, "status": "damaged"},
                    {"sku": "GHOST", "quantity": 1},
                ],
                taken_at,
            )
        )
        self.assertEqual(event.state, "applied", event.last_error)
        snapshot = self.env["logistics.tpl.snapshot"].search([("event_id", "=", event.id)])
        self.assertEqual(snapshot.warehouse_id, self.warehouse)
        self.assertEqual((snapshot.line_count, snapshot.matched_count), (4, 1))
        self.assertEqual(snapshot.accuracy, 25.0)
        self.assertEqual(self.warehouse.tpl_accuracy, 25.0)
        rows = {
            (d.sku, d.lot_name or None): (d.odoo_qty, d.tpl_qty, d.difference, d.value)
            for d in snapshot.discrepancy_ids
        }
        self.assertEqual(
            rows,
            {
                ("PAINT", "L-1"): (5.0, 4.0, -1.0, -4.0),
                ("PAINT", "L-2"): (0.0, 3.0, 3.0, 12.0),
                ("GHOST", None): (0.0, 1.0, 1.0, 0.0),
            },
        )
        paint = snapshot.discrepancy_ids.filtered(lambda d: d.sku == "PAINT")
        ghost = snapshot.discrepancy_ids - paint
        # an Inventory / User reads them but may neither apply nor dismiss
        as_user = paint.with_user(self.stock_user)
        self.assertEqual(len(as_user.read(["difference"])), 2)
        with self.assertRaises(AccessError):
            as_user.action_apply()
        with self.assertRaises(AccessError):
            ghost.with_user(self.stock_user)._dismiss("no")
        self.assertEqual(set(snapshot.discrepancy_ids.mapped("state")), {"open"})
        self.assertEqual(self._on_hand(self.lot_product, self.lot1), 5)
        # an Inventory / Administrator applies the two PAINT lines in one click
        paint.with_user(self.stock_manager).action_apply()
        self.assertEqual(set(paint.mapped("state")), {"applied"})
        self.assertEqual(self._on_hand(self.lot_product, self.lot1), 4)
        lot2 = self.env["stock.lot"].search([("name", "=", "L-2")])
        self.assertEqual(self._on_hand(self.lot_product, lot2), 3)
        # an unknown SKU cannot be applied; dismissed with a reason only
        with self.assertRaises(UserError):
            ghost.with_user(self.stock_manager).action_apply()
        with self.assertRaises(UserError):
            ghost.with_user(self.stock_manager)._dismiss("  ")
        self.assertEqual(ghost.state, "open")
        wizard = (
            self.env["logistics.tpl.discrepancy.dismiss"]
            .with_user(self.stock_manager)
            .create({"discrepancy_ids": [(6, 0, ghost.ids)], "reason": "sample, not ours"})
        )
        wizard.action_confirm()
        self.assertEqual((ghost.state, ghost.dismiss_reason), ("dismissed", "sample, not ours"))
        self.assertEqual(snapshot.open_count, 0)

    def test_in_flight_confirmation_counted(self):
        """The 3PL shipped before counting, Odoo has not applied it yet: no discrepancy."""
        self._put_stock(self.product, 10)
        picking, _release = self._released([(self.product, 3)])
        self._ingest(
            self._shipping(picking, [{"sku": "WIDGET", "quantity": 3}], "in-flight"),
            endpoint=self.tpl,
        )
        snapshot = self.env["logistics.tpl.snapshot"]._tpl_reconcile(
            self.warehouse,
            fields.Datetime.now() + timedelta(days=30),
            [{"sku": "WIDGET", "quantity": 7}],
            name="SNAP-flight",
        )
        self.assertEqual(snapshot.discrepancy_count, 0)
        self.assertEqual(snapshot.accuracy, 100.0)

    def test_snapshot_for_a_warehouse_not_operated_by_the_sender(self):
        event = self._confirm(dict(self._snapshot_event([], fields.Datetime.now()), warehouse="WH"))
        self.assertEqual(event.state, "dead")
        self.assertIn("no warehouse with that code is operated by Test 3PL", event.last_error)
        self.assertFalse(self.env["logistics.tpl.snapshot"].search([]))
