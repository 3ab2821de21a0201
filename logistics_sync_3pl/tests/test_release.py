# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Deliveries and receipts of a 3PL warehouse released to the 3PL simulator (real
HTTP): one document per transfer, a version per change, a cancellation after
them, each stored once; a document that cannot be sent is blocked with its reason."""

import json

from odoo.tests import TransactionCase, tagged

from ..lib import documents
from .common import TplCommon
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestRelease(TplCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl()

    def test_delivery_released_changed_cancelled_in_order(self):
        picking, release = self._released([(self.product, 5), (self.lot_product, 2)])
        self.assertEqual(release.document_type, "shipping_order")
        self.assertEqual(release.sent_version, 1)
        stored = self.sim.document(picking.name)
        self.assertEqual(stored["version"], 1)
        self.assertEqual(stored["warehouse"], "W3PL")
        self.assertEqual(
            [(line["sku"], line["quantity"], line["tracking"]) for line in stored["lines"]],
            [("WIDGET", 5, "none"), ("PAINT", 2, "lot")],
        )
        self.assertEqual(documents.validate_document(json.loads(release.last_document)), [])
        # the stock user changes a quantity: version 2; the same again: nothing sent
        with trap_jobs() as trap:
            picking.with_user(self.stock_user).move_ids[0].product_uom_qty = 4
            picking.with_user(self.stock_user).move_ids[0].product_uom_qty = 4
            self._run_jobs(trap)
        self.assertEqual(release.sent_version, 2)
        self.assertEqual(self.sim.document(picking.name)["lines"][0]["quantity"], 4)
        # ... then cancels the delivery: the cancellation goes after version 2
        with trap_jobs() as trap:
            picking.with_user(self.stock_user).action_cancel()
            self._run_jobs(trap)
        self.assertEqual(release.state, "cancelled")
        self.assertEqual(
            self.sim.stats()["writes"],
            {f"{picking.name}:v1": 1, f"{picking.name}:v2": 1, f"{picking.name}:v3:cancel": 1},
        )
        self.assertEqual(self.sim.document(picking.name)["status"], "cancelled")

    def test_receipt_released_as_receipt_advice(self):
        picking, release = self._released([(self.lot_product, 10)], incoming=True)
        self.assertEqual(release.document_type, "receipt_advice")
        stored = self.sim.document(picking.name)
        self.assertEqual(stored["document_type"], "receipt_advice")
        self.assertEqual(stored["party"]["name"], "Supplier SA")

    def test_other_warehouse_not_released(self):
        main = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id), ("tpl_endpoint_id", "=", False)], limit=1
        )
        picking = self._make_picking()
        self.assertEqual(picking.picking_type_id.warehouse_id, main)
        self.assertFalse(picking.sudo().tpl_release_ids)

    def test_product_without_sku_blocks_until_fixed(self):
        product = self.env["product.product"].create({"name": "No code", "is_storable": True})
        with trap_jobs() as trap:
            picking = self._picking([(product, 1)])
            self._run_jobs(trap)
        release = picking.sudo().tpl_release_id
        self.assertEqual(release.state, "blocked")
        self.assertIn("internal reference", release.block_reason)
        self.assertEqual(self.sim.stats()["writes"], {})
        with trap_jobs() as trap:
            product.default_code = "NOCODE"
            release._tpl_touch()
            self._run_jobs(trap)
        self.assertEqual(release.state, "sent")
        self.assertEqual(self.sim.stats()["writes"], {f"{picking.name}:v1": 1})

    def test_cancelled_before_sent_sends_nothing(self):
        with trap_jobs() as trap:
            picking = self._picking([(self.product, 1)])
            picking.with_user(self.stock_user).action_cancel()
            self._run_jobs(trap)
        self.assertEqual(picking.sudo().tpl_release_id.state, "cancelled")
        self.assertEqual(self.sim.stats()["writes"], {})

    def test_refused_document_is_an_exception_with_activity(self):
        picking, release = self._released([(self.product, 1)])
        self.sim.post("/_sim/reset")  # the 3PL forgot it; a cancel is now refused (404)
        with trap_jobs() as trap:
            picking.with_user(self.stock_user).action_cancel()
            self._run_jobs(trap)
        self.assertTrue(release.exception)
        self.assertIn("HTTP 404", release.last_error)
        self.assertNotEqual(release.state, "cancelled")
        activity = picking.activity_ids.filtered(lambda a: "refused" in (a.summary or ""))
        self.assertEqual(activity.user_id, self.responsible)
