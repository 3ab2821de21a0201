# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command
from odoo.tests import TransactionCase, tagged

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestSaleOrderStatus(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()

    def test_order_shows_the_least_advanced_shipment(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertFalse(order.logistics_milestone)
        self._ingest(event("so-1", picking.name, "in_transit", 1))
        self._process_pending()
        # reported for a delivery not validated yet: the order claims nothing
        self.assertEqual(picking.logistics_milestone, "in_transit")
        self.assertFalse(order.logistics_milestone)
        self._validate(picking)
        self.assertEqual(order.logistics_milestone, "in_transit")
        self.assertFalse(order.logistics_exception)
        self._ingest(event("so-2", picking.name, "exception", 2, reason="Damaged"))
        self._process_pending()
        self.assertTrue(order.logistics_exception)
        # a second shipment without news holds the order's status back
        backorder = picking.copy()
        backorder.sale_id = order
        self.assertFalse(order.logistics_milestone)
