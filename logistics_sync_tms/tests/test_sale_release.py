# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Sales / User confirms, an Inventory / User validates (neither in a Logistics
Sync group): the order's delivery is released, and the order shows what the TMS
answered in stored, searchable fields."""

from odoo import Command
from odoo.tests import TransactionCase, tagged

from .common import TmsCommon
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestSaleRelease(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms(trigger="sale_confirm")
        cls.seller = plain_user(cls, "ls_tms_seller", "sales_team.group_sale_salesman")
        cls.stock_user = plain_user(cls, "ls_tms_stock", "stock.group_stock_user")

    def test_seller_confirms_and_the_order_shows_the_plan(self):
        order = (
            self.env["sale.order"]
            .with_user(self.seller)
            .create(
                {
                    "partner_id": self.customer.id,
                    "commitment_date": "2031-03-05 10:00:00",
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 2})
                    ],
                }
            )
        )
        with trap_jobs() as trap:
            order.action_confirm()
            trap.assert_jobs_count(1)
            self._run_jobs(trap)
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.tms_release_state, "sent")
        release = order.picking_ids.sudo().tms_release_id
        self.assertEqual(order.tms_ref, release.tms_ref)
        self._answer(release, 3)
        order.invalidate_recordset()
        self.assertEqual(order.tms_release_state, "planned")
        self.assertEqual(order.tms_planned_delivery, release.planned_delivery_end)
        self.assertFalse(order.logistics_exception)
        Order = self.env["sale.order"].with_user(self.seller)
        self.assertEqual(Order.search([("tms_release_state", "=", "planned")]), order)
        self.assertEqual(Order.search([("tms_ref", "=", release.tms_ref)]), order)
        # the warehouse validates the delivery
        picking = order.picking_ids.with_user(self.stock_user)
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 2.0)
        picking.action_assign()
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        with trap_jobs() as trap:
            self.assertIs(picking.button_validate(), True)
            self._run_jobs(trap)
        self.assertEqual(picking.state, "done")
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1}})
