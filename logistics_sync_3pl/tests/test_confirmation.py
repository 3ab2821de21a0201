# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shipping and receipt confirmations through base's pipeline: applied whole with
exactly the confirmed quantities, lots and packages, or refused whole as a dead
letter with the reason (the transfer, its lines and the lots unchanged)."""

from odoo.tests import TransactionCase, tagged

from ..lib import sscc
from .common import TplCommon
from odoo.addons.queue_job.tests.common import trap_jobs

SSCC = sscc.build("0614141", 1)


@tagged("post_install", "-at_install")
class TestConfirmation(TplCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl()

    def _on_hand(self, product, lot=None):
        return product.with_context(location=self.stock.id, lot_id=lot and lot.id).qty_available

    def _state(self, picking):
        """What a refusal must leave alone."""
        moves = picking.move_ids
        return (
            picking.state,
            sorted(moves.mapped("state")),
            sum(moves.mapped("quantity")),
            self.env["stock.lot"].search_count([]),
            self.env["stock.picking"].search_count([("backorder_id", "=", picking.id)]),
            self.env["stock.quant.package"].search_count([]),
        )

    def _refused(self, picking, event, reason):
        before = self._state(picking)
        stored = self._confirm(event)
        self.assertEqual(stored.state, "dead", stored.last_error)
        self.assertIn(reason, stored.last_error)
        picking.invalidate_recordset()
        picking.move_ids.invalidate_recordset()
        self.assertEqual(self._state(picking), before)
        self.assertNotEqual(picking.state, "done")
        return stored

    # ------------------------------------------------------------ shipping
    def test_full_shipment_with_lots_and_packages(self):
        self._put_stock(self.product, 10)
        picking, release = self._released([(self.product, 3), (self.lot_product, 2)])
        lot = self.env["stock.lot"].create(
            {"name": "L-1", "product_id": self.lot_product.id, "company_id": self.company.id}
        )
        self._put_stock(self.lot_product, 2, lot)
        event = self._shipping(
            picking,
            [
                {"sku": "WIDGET", "quantity": 3, "package": SSCC},
                {"sku": "PAINT", "quantity": 2, "lot": "L-1", "package": SSCC},
            ],
            "ship-1",
            packages=[{"sscc": SSCC, "weight_kg": 12.5, "tracking_ref": "TRK1", "carrier": "dhl"}],
        )
        stored = self._confirm(event)
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(stored.picking_id, picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.mapped("quantity"), [3, 2])
        self.assertEqual(picking.move_line_ids.filtered("lot_id").lot_id, lot)
        self.assertEqual(picking.move_line_ids.result_package_id.name, SSCC)
        self.assertEqual(picking.move_line_ids.result_package_id.shipping_weight, 12.5)
        self.assertEqual(picking.carrier_tracking_ref, "TRK1")
        self.assertEqual(str(picking.date_done), "2026-12-01 09:30:00")
        self.assertEqual(release.state, "confirmed")
        self.assertEqual(release.package_ids.mapped("carrier"), ["dhl"])
        self.assertFalse(self.env["stock.picking"].search([("backorder_id", "=", picking.id)]))
        # the same confirmation again (another id): superseded, nothing applied twice
        again = self._confirm(dict(event, event_id="ship-1-again"))
        self.assertEqual(again.state, "superseded")
        self.assertEqual(self._on_hand(self.product), 7)

    def test_short_pick_makes_a_backorder_released_to_the_3pl(self):
        self._put_stock(self.product, 10)
        picking, release = self._released([(self.product, 5)])
        with self.subTest("short pick"):
            with trap_jobs() as trap:
                stored = self._confirm(
                    self._shipping(picking, [{"sku": "WIDGET", "quantity": 3}], "s1")
                )
                self._run_jobs(trap)
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 3)
        backorder = self.env["stock.picking"].search([("backorder_id", "=", picking.id)])
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
        self.assertEqual(backorder.sudo().tpl_release_id.state, "sent")
        self.assertEqual(self.sim.document(backorder.name)["lines"][0]["quantity"], 2)

    def test_short_pick_cancel_remaining(self):
        self._put_stock(self.product, 10)
        picking, release = self._released([(self.product, 5)])
        stored = self._confirm(
            self._shipping(picking, [{"sku": "WIDGET", "quantity": 3}], "s2", cancel_remaining=True)
        )
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(picking.state, "done")
        self.assertFalse(self.env["stock.picking"].search([("backorder_id", "=", picking.id)]))

    def test_unknown_lot_created_when_the_endpoint_says_so(self):
        self.tpl.tpl_unknown_lots = "create"
        picking, release = self._released([(self.lot_product, 2)])
        stored = self._confirm(
            self._shipping(picking, [{"sku": "PAINT", "quantity": 2, "lot": "NEW-7"}], "s3")
        )
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(picking.move_line_ids.lot_id.name, "NEW-7")

    def test_refusals_apply_nothing(self):
        self._put_stock(self.product, 10)
        picking, release = self._released(
            [(self.product, 5), (self.lot_product, 2), (self.serial_product, 2)]
        )
        cases = [
            ([{"sku": "WIDGET", "quantity": 6}], "over-pick of WIDGET: 6 confirmed, 5 expected"),
            ([{"sku": "GHOST", "quantity": 1}], "product GHOST is not on this document"),
            ([{"sku": "WIDGET", "quantity": -1}], "negative quantity -1"),
            (
                [
                    {"sku": "DRILL", "quantity": 1, "lot": "SN1"},
                    {"sku": "DRILL", "quantity": 1, "lot": "SN1"},
                ],
                "serial number SN1 given twice",
            ),
            ([{"sku": "WIDGET", "quantity": 1, "lot": "L9"}], "lot L9 given for a product"),
            ([{"sku": "PAINT", "quantity": 1}], "no lot number"),
            (
                [{"sku": "PAINT", "quantity": 1, "lot": "UNKNOWN"}],
                "Odoo does not know: PAINT UNKNOWN",
            ),
            # one good line and one bad: nothing of either
            (
                [{"sku": "WIDGET", "quantity": 5}, {"sku": "GHOST", "quantity": 1}],
                "GHOST is not on this document",
            ),
        ]
        for index, (lines, reason) in enumerate(cases):
            with self.subTest(reason=reason):
                self._refused(picking, self._shipping(picking, lines, f"bad-{index}"), reason)
        # picked against version 1 after version 2 was sent: refused
        picking.with_user(self.stock_user).move_ids[0].product_uom_qty = 4
        from_job = self.env["logistics.tpl.release"].browse(release.id)
        from_job._job_tpl_sync()
        self.assertEqual(release.sent_version, 2)
        self._refused(
            picking,
            self._shipping(picking, [{"sku": "WIDGET", "quantity": 1}], "old", document_version=1),
            "against version 1, but version 2 was sent since",
        )

    def test_unknown_and_cancelled_documents_refused(self):
        picking, release = self._released([(self.product, 1)])
        stored = self._confirm(
            self._shipping(picking, [{"sku": "WIDGET", "quantity": 1}], "u1")
            | {"shipment_ref": "WH/OUT/NOPE"}
        )
        self.assertEqual(stored.state, "dead")
        self.assertIn("no such shipping order", stored.last_error)
        # a receipt confirmation for a delivery: not such a document either
        stored = self._confirm(self._receipt(picking, [{"sku": "WIDGET", "quantity": 1}], "u2"))
        self.assertEqual(stored.state, "dead")
        self.assertIn("no such receipt advice", stored.last_error)
        with trap_jobs() as trap:
            picking.with_user(self.stock_user).action_cancel()
            self._run_jobs(trap)
        stored = self._confirm(self._shipping(picking, [{"sku": "WIDGET", "quantity": 1}], "u3"))
        self.assertEqual(stored.state, "dead")
        self.assertIn("is cancelled", stored.last_error)
        self.assertEqual(picking.state, "cancel")

    def test_correction_after_close_is_an_exception_never_a_second_validation(self):
        self._put_stock(self.product, 10)
        picking, release = self._released([(self.product, 3)])
        self._confirm(self._shipping(picking, [{"sku": "WIDGET", "quantity": 3}], "c1"))
        self.assertEqual(picking.state, "done")
        stored = self._confirm(self._shipping(picking, [{"sku": "WIDGET", "quantity": 2}], "c2"))
        self.assertEqual(stored.state, "dead")
        self.assertIn("Correction of", stored.last_error)
        self.assertIn("WIDGET: 3 confirmed before, 2 now", stored.last_error)
        self.assertTrue(release.exception)
        self.assertTrue(
            picking.activity_ids.filtered(lambda a: "correction" in (a.summary or "").lower())
        )
        self.assertEqual(picking.move_ids.quantity, 3)
        self.assertEqual(self._on_hand(self.product), 7)

    def test_correction_while_backorder_open_applied_as_difference(self):
        self._put_stock(self.product, 10)
        picking, release = self._released([(self.product, 5)])
        self._confirm(self._shipping(picking, [{"sku": "WIDGET", "quantity": 2}], "d1"))
        backorder = self.env["stock.picking"].search([("backorder_id", "=", picking.id)])
        self.assertEqual(backorder.move_ids.product_uom_qty, 3)
        stored = self._confirm(self._shipping(picking, [{"sku": "WIDGET", "quantity": 4}], "d2"))
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(backorder.state, "done")
        self.assertEqual(backorder.move_ids.quantity, 2)
        rest = self.env["stock.picking"].search([("backorder_id", "=", backorder.id)])
        self.assertEqual(rest.move_ids.product_uom_qty, 1)
        self.assertEqual(self._on_hand(self.product), 6)

    # ------------------------------------------------------------ receipts
    def test_receipt_with_lots_expiry_and_damage(self):
        picking, release = self._released([(self.lot_product, 10)], incoming=True)
        stored = self._confirm(
            self._receipt(
                picking,
                [
                    {"sku": "PAINT", "quantity": 6, "lot": "R-1", "expiry_date": "2027-06-30"},
                    {"sku": "PAINT", "quantity": 0, "damaged_quantity": 2, "lot": "R-1"},
                ],
                "r1",
            )
        )
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.filtered(lambda m: not m.scrapped).quantity, 8)
        lot = self.env["stock.lot"].search([("name", "=", "R-1")])
        self.assertEqual(lot.product_id, self.lot_product)
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.lot_product, self.stock, lot), 6
        )
        scrap = self.env["stock.scrap"].search([("picking_id", "=", picking.id)])
        self.assertEqual(scrap.scrap_qty, 2)
        self.assertEqual(scrap.state, "done")
        backorder = self.env["stock.picking"].search([("backorder_id", "=", picking.id)])
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
