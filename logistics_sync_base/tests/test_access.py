# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An Inventory / User in no Logistics Sync group works as if the suite were not
installed: validate, backorder, return, cancel, print, open transfers; the sync
status shows read-only, the events themselves stay hidden."""

from odoo import Command
from odoo.tests import Form, TransactionCase, tagged

from .common import LogisticsCommon, event
from .common_access import assert_rights_kept, open_form, open_list, plain_user
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestStockUserAccess(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.clerk = plain_user(cls, "ls_stock_clerk", "stock.group_stock_user")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )

    def _delivery(self, qty=1.0, in_stock=None):
        """A confirmed delivery of ``qty`` (made by the admin), ``in_stock`` units on hand."""
        stock = self.warehouse.lot_stock_id
        customers = self.env.ref("stock.stock_location_customers")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "location_id": stock.id,
                "location_dest_id": customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": self.product.name,
                            "product_id": self.product.id,
                            "product_uom_qty": qty,
                            "product_uom": self.product.uom_id.id,
                            "location_id": stock.id,
                            "location_dest_id": customers.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        self.env["stock.quant"]._update_available_quantity(
            self.product, stock, qty if in_stock is None else in_stock
        )
        return picking

    def _as_clerk(self, records):
        # the clerk works with the chatter and tracking on, as in the web client
        return records.with_user(self.clerk).with_context(tracking_disable=False)

    def _clerk_validates(self, picking):
        mine = self._as_clerk(picking)
        mine.action_assign()
        self.assertEqual(mine.state, "assigned")
        return mine.button_validate()

    def _events(self):
        return self.env["logistics.event"].search_count([])

    def test_installing_took_no_right_away(self):
        assert_rights_kept(
            self,
            self.clerk,
            {
                "stock.picking": ("read", "write", "create"),
                "stock.move": ("read", "write", "create"),
                "stock.move.line": ("read", "write", "create", "unlink"),
                "stock.return.picking": ("read", "write", "create"),
                "stock.backorder.confirmation": ("read", "write", "create"),
            },
        )
        picking = self._delivery()
        self._as_clerk(picking).check_access("write")
        self.assertFalse(self.env["logistics.event"].with_user(self.clerk).has_access("read"))

    def test_clerk_validates_a_delivery(self):
        picking = self._delivery()
        events = self._events()
        with trap_jobs() as trap:
            self.assertIs(self._clerk_validates(picking), True)
            trap.assert_jobs_count(0)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 1.0)
        self.assertEqual(self.product.with_context(warehouse_id=self.warehouse.id).qty_available, 0)
        self.assertEqual(self._events(), events, "validating stored no event")
        self.assertEqual(picking.logistics_sync_state, "none")

    def test_validation_releases_events_that_waited_for_the_dispatch(self):
        picking = self._delivery()
        delivered = self._ingest(event("acc-d1", picking.name, "delivered", 10))
        self._process_pending()
        self.assertEqual(delivered.wait_reason, "needs_dispatch")
        with trap_jobs() as trap:
            self.assertIs(self._clerk_validates(picking), True)
            trap.assert_jobs_count(1, only=delivered._job_process)
            trap.perform_enqueued_jobs()
        self.assertEqual(picking.state, "done")
        self.assertEqual(delivered.state, "applied")
        self.assertEqual(self._as_clerk(picking).logistics_milestone, "delivered")
        self.assertEqual(self._as_clerk(picking).logistics_sync_state, "synced")

    def test_references_the_clerk_sets_wake_waiting_events(self):
        by_tracking = self._ingest(event("acc-u1", "TRK-CLERK-1", "picked_up", 1))
        by_external = self._ingest(event("acc-u2", "TMS-CLERK-2", "picked_up", 1))
        self._process_pending()
        self.assertEqual(set((by_tracking | by_external).mapped("wait_reason")), {"unknown_ref"})
        picking = self._delivery()
        with trap_jobs() as trap:
            self._as_clerk(picking).carrier_tracking_ref = "TRK-CLERK-1"
            trap.assert_jobs_count(1, only=by_tracking._job_process)
            trap.perform_enqueued_jobs()
        self.assertEqual(by_tracking.picking_id, picking)
        self.assertEqual(picking.logistics_milestone, "picked_up")
        stock = self.warehouse.lot_stock_id
        with trap_jobs() as trap:
            created = (
                self.env["stock.picking"]
                .with_user(self.clerk)
                .create(
                    {
                        "picking_type_id": self.warehouse.out_type_id.id,
                        "location_id": stock.id,
                        "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                        "logistics_external_ref": "TMS-CLERK-2",
                    }
                )
            )
            trap.assert_jobs_count(1, only=by_external._job_process)
            trap.perform_enqueued_jobs()
        self.assertEqual(by_external.state, "applied")
        self.assertEqual(by_external.picking_id, created)

    def test_clerk_validates_partially_and_creates_the_backorder(self):
        picking = self._delivery(qty=2.0, in_stock=1.0)
        mine = self._as_clerk(picking)
        mine.action_assign()
        self.assertEqual(mine.move_ids.quantity, 1.0)
        action = mine.button_validate()
        self.assertEqual(action["res_model"], "stock.backorder.confirmation")
        wizard = Form(
            self.env[action["res_model"]].with_user(self.clerk).with_context(**action["context"])
        ).save()
        wizard.process()
        self.assertEqual(picking.state, "done")
        backorder = self.env["stock.picking"].search([("backorder_id", "=", picking.id)])
        self.assertEqual(len(backorder), 1)
        self.assertEqual(backorder.move_ids.product_uom_qty, 1.0)
        self.assertIn(backorder.state, ("confirmed", "assigned"))

    def test_clerk_returns_a_delivery(self):
        picking = self._delivery()
        self._clerk_validates(picking)
        wizard = Form(
            self.env["stock.return.picking"]
            .with_user(self.clerk)
            .with_context(active_id=picking.id, active_model="stock.picking")
        ).save()
        wizard.action_create_returns_all()
        returned = self.env["stock.picking"].search([("return_id", "=", picking.id)])
        self.assertEqual(len(returned), 1)
        self.assertEqual(returned.move_ids.product_uom_qty, 1.0)
        self.assertEqual(returned.location_dest_id, picking.location_id)

    def test_clerk_cancels_a_transfer(self):
        picking = self._delivery()
        events = self._events()
        self._as_clerk(picking).action_cancel()
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(picking.move_ids.state, "cancel")
        self.assertEqual(self._events(), events)

    def test_clerk_prints_delivery_slip_and_picking_operations(self):
        picking = self._delivery()
        self._clerk_validates(picking)
        reports = self.env["ir.actions.report"].with_user(self.clerk)
        for report in ("stock.action_report_delivery", "stock.action_report_picking"):
            content, kind = reports._render_qweb_pdf(report, picking.ids)
            self.assertIn(kind, ("pdf", "html"))
            self.assertIn(picking.name.encode(), content, report)
            html, _kind = reports._render_qweb_html(report, picking.ids)
            self.assertIn(picking.name.encode(), html, report)

    def test_forms_and_lists_show_sync_status_read_only(self):
        picking = self._delivery()
        self._ingest(event("acc-s1", picking.name, "booked", 1))
        self._process_pending()
        arch, [values] = open_form(self._as_clerk(picking))
        self.assertEqual(values["logistics_milestone"], "booked")
        self.assertEqual(values["logistics_sync_state"], "synced")
        for name in ("logistics_milestone", "logistics_sync_state"):
            self.assertTrue(arch.xpath(f"//field[@name='{name}']"), name)
            self.assertTrue(picking._fields[name].readonly, name)
        # the events themselves are for Logistics Sync users
        self.assertNotIn("logistics_event_ids", values)
        self.assertFalse(arch.xpath("//button[@name='action_logistics_events']"))
        arch, rows = open_list(
            self.env["stock.picking"].with_user(self.clerk), [("id", "=", picking.id)]
        )
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["logistics_sync_state"], "synced")
        self.assertEqual(rows[0]["logistics_milestone"], "booked")
        errors = (
            self.env["stock.picking"]
            .with_user(self.clerk)
            .search_count([("logistics_sync_state", "=", "error")])
        )
        self.assertEqual(errors, 0)
        # a Logistics Sync user sees the events on the same form
        _arch, [values] = open_form(picking.with_user(self.responsible))
        self.assertEqual(len(values["logistics_event_ids"]), 1)
        self.assertEqual(values["logistics_event_count"], 1)
