# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Sales / User in no Logistics Sync group sells as before the suite was
installed, and sees the shipment status of their orders, read-only."""

from odoo.tests import Form, TransactionCase, tagged

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event
from odoo.addons.logistics_sync_base.tests.common_access import (
    assert_rights_kept,
    open_form,
    open_list,
    plain_user,
)
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestSalesUserAccess(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.seller = plain_user(cls, "ls_seller", "sales_team.group_sale_salesman")

    def _seller_sells(self):
        """The seller makes a quotation in the form and confirms it."""
        Order = self.env["sale.order"].with_user(self.seller).with_context(tracking_disable=False)
        with Form(Order) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product
                line.product_uom_qty = 2
        order = form.record
        self.assertEqual(order.state, "draft")
        with trap_jobs() as trap:
            order.action_confirm()
            trap.assert_jobs_count(0)
        self.assertEqual(order.state, "sale")
        return order

    def test_installing_took_no_right_away(self):
        assert_rights_kept(
            self,
            self.seller,
            {
                "sale.order": ("read", "write", "create"),
                "sale.order.line": ("read", "write", "create"),
                "stock.picking": ("read",),
            },
        )
        self.assertFalse(self.env["logistics.event"].with_user(self.seller).has_access("read"))

    def test_seller_confirms_an_order(self):
        events = self.env["logistics.event"].search_count([])
        order = self._seller_sells()
        self.assertEqual(len(order.picking_ids), 1)
        self.assertEqual(order.picking_ids.move_ids.product_uom_qty, 2)
        self.assertEqual(order.picking_ids.state, "confirmed")
        self.assertEqual(self.env["logistics.event"].search_count([]), events)

    def test_seller_cancels_a_confirmed_order(self):
        order = self._seller_sells()
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.picking_ids.state, "cancel")

    def test_seller_sees_the_shipment_status_read_only(self):
        order = self._seller_sells()
        picking = order.picking_ids
        # shipped: the order shows the status of validated deliveries only
        self.env["stock.quant"]._update_available_quantity(
            picking.move_ids.product_id, picking.location_id, picking.move_ids.product_uom_qty
        )
        picking.action_assign()
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")
        self._ingest(event("acc-so1", picking.name, "in_transit", 1))
        self._ingest(event("acc-so2", picking.name, "delayed", 2, reason="Storm"))
        self._process_pending()
        arch, [values] = open_form(order)
        self.assertEqual(values["state"], "sale")
        self.assertEqual(values["logistics_milestone"], "in_transit")
        self.assertTrue(values["logistics_exception"])
        for name in ("logistics_milestone", "logistics_exception"):
            self.assertTrue(arch.xpath(f"//field[@name='{name}']"), name)
            self.assertTrue(order._fields[name].readonly, name)
        _arch, rows = open_list(order.browse(), [("id", "=", order.id)])
        self.assertEqual([row["id"] for row in rows], order.ids)
        # the delivery, opened from the order's smart button
        _arch, [values] = open_form(picking.with_user(self.seller))
        self.assertEqual(values["logistics_milestone"], "in_transit")
        self.assertTrue(values["logistics_exception"])
        self.assertNotIn("logistics_event_ids", values)
