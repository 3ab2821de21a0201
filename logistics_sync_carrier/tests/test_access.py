# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Inventory / User and Sales / User in no Logistics Sync group, with a Logistics
Sync carrier (the simulator on 127.0.0.1) and with a plain carrier: everything
they did before the suite was installed still works, bookings included."""

import requests

from odoo import Command
from odoo.tests import Form, TransactionCase, tagged

from .common import API_KEY, CarrierCommon
from odoo.addons.logistics_sync_base.tests.common_access import (
    assert_rights_kept,
    open_form,
    open_list,
    plain_user,
)
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestCarrierAccess(CarrierCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("rest", ["--seed", "11"])
        cls.clerk = plain_user(cls, "ls_carrier_clerk", "stock.group_stock_user")
        cls.seller = plain_user(cls, "ls_carrier_seller", "sales_team.group_sale_salesman")
        cls.fixed = cls.env["delivery.carrier"].create(
            {
                "name": "Flat rate",
                "product_id": cls.carrier.product_id.id,
                "delivery_type": "fixed",
                "fixed_price": 9.5,
            }
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def _as_clerk(self, records):
        return records.with_user(self.clerk).with_context(tracking_disable=False)

    def _clerk_validates(self, picking):
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        mine = self._as_clerk(picking)
        mine.action_assign()
        self.assertEqual(mine.state, "assigned")
        return mine.button_validate()

    def _clerk_ships(self, picking):
        """The clerk validates; the booking job is queued, then runs."""
        with trap_jobs() as trap:
            self.assertIs(self._clerk_validates(picking), True)
            trap.assert_jobs_count(1, only=picking._logistics_book_job)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            self.assertEqual(self.sim.stats()["bookings"], 0, "validation called no carrier")
            self.assertEqual(picking.logistics_booking_state, "queued")
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)

    def test_installing_took_no_right_away(self):
        assert_rights_kept(
            self,
            self.clerk,
            {
                "stock.picking": ("read", "write", "create"),
                "delivery.carrier": ("read",),
                "stock.return.picking": ("create",),
            },
        )
        assert_rights_kept(
            self,
            self.seller,
            {"sale.order": ("read", "write", "create"), "delivery.carrier": ("read",)},
        )

    def test_clerk_validates_and_the_booking_is_made_once(self):
        picking = self._shipment()
        self._clerk_ships(picking)
        self.assertEqual(picking.state, "done")
        self.assertTrue(picking.carrier_tracking_ref.startswith("SIM"))
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})
        self.assertEqual(
            self.env["logistics.carrier.booking"].search_count([("picking_id", "=", picking.id)]), 1
        )
        # "Send to shipper" clicked again by the clerk books nothing more
        with trap_jobs() as trap:
            self._as_clerk(picking).send_to_shipper()
            trap.assert_jobs_count(0)
        self.assertEqual(self.sim.stats()["bookings"], 1)

    def test_clerk_opens_booked_transfer_form_and_list(self):
        picking = self._shipment()
        self._clerk_ships(picking)
        arch, [values] = open_form(self._as_clerk(picking))
        self.assertEqual(values["logistics_booking_state"], "booked")
        self.assertEqual(values["carrier_tracking_ref"], picking.carrier_tracking_ref)
        self.assertFalse(values["is_return_picking"])
        self.assertNotIn("logistics_booking_key", values)
        self.assertNotIn("logistics_event_ids", values)
        self.assertFalse(arch.xpath("//button[@name='action_logistics_retry_booking']"))
        _arch, rows = open_list(
            self.env["stock.picking"].with_user(self.clerk), [("id", "=", picking.id)]
        )
        self.assertEqual([row["logistics_booking_state"] for row in rows], ["booked"])
        waiting = (
            self.env["stock.picking"]
            .with_user(self.clerk)
            .search_count([("logistics_booking_state", "in", ("queued", "waiting_carrier"))])
        )
        self.assertEqual(waiting, 0)

    def test_clerk_prints_the_delivery_slip(self):
        picking = self._shipment()
        self._clerk_ships(picking)
        content, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.clerk)
            ._render_qweb_pdf("stock.action_report_delivery", picking.ids)
        )
        self.assertIn(picking.name.encode(), content)
        self.assertIn(picking.carrier_tracking_ref.encode(), content)

    def test_clerk_returns_a_booked_delivery(self):
        picking = self._shipment()
        self._clerk_ships(picking)
        with trap_jobs() as trap:
            wizard = Form(
                self.env["stock.return.picking"]
                .with_user(self.clerk)
                .with_context(active_id=picking.id, active_model="stock.picking")
            ).save()
            wizard.action_create_returns_all()
            trap.assert_jobs_count(0)
        returned = self.env["stock.picking"].search([("return_id", "=", picking.id)])
        self.assertEqual(len(returned), 1)
        self.assertEqual(returned.move_ids.product_uom_qty, 1.0)
        self.assertFalse(returned.logistics_booking_state)
        self.assertEqual(self.sim.stats()["bookings"], 1)

    def test_clerk_cancels_the_shipment_then_ships_again(self):
        picking = self._shipment()
        self._clerk_ships(picking)
        shipment_id = picking.logistics_carrier_shipment_id
        self._as_clerk(picking).cancel_shipment()
        self.assertEqual(picking.logistics_booking_state, "cancelled")
        self.assertFalse(picking.carrier_tracking_ref)
        at_carrier = requests.get(
            f"{self.sim.url}/v1/shipments/{shipment_id}", headers={"X-API-Key": API_KEY}, timeout=5
        ).json()
        self.assertTrue(at_carrier["cancelled"], at_carrier)
        # "Send to shipper" (the button shows again): a booking job, run as the clerk queued it
        with trap_jobs() as trap:
            self._as_clerk(picking).send_to_shipper()
            trap.assert_jobs_count(1, only=picking._logistics_book_job)
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertNotEqual(picking.logistics_carrier_shipment_id, shipment_id)
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 2})

    def test_clerk_cancels_a_ready_transfer_nothing_is_booked(self):
        picking = self._shipment()
        with trap_jobs() as trap:
            self._as_clerk(picking).action_cancel()
            trap.assert_jobs_count(0)
        self.assertEqual(picking.state, "cancel")
        self.assertFalse(picking.logistics_booking_state)
        self.assertEqual(self.sim.stats()["bookings"], 0)

    def test_clerk_validates_partially_backorder_is_not_booked(self):
        picking = self._shipment()
        picking.move_ids.product_uom_qty = 2
        with trap_jobs() as trap:
            action = self._clerk_validates(picking)
            self.assertEqual(action["res_model"], "stock.backorder.confirmation")
            Form(
                self.env[action["res_model"]]
                .with_user(self.clerk)
                .with_context(**action["context"])
            ).save().process()
            trap.assert_jobs_count(1, only=picking._logistics_book_job)
            self._run_jobs(trap)
        backorder = self.env["stock.picking"].search([("backorder_id", "=", picking.id)])
        self.assertEqual(len(backorder), 1)
        self.assertFalse(backorder.logistics_booking_state)
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})

    def test_clerk_validates_with_a_plain_carrier(self):
        picking = self._make_picking()
        picking.carrier_id = self.fixed
        with trap_jobs() as trap:
            self.assertIs(self._clerk_validates(picking), True)
            trap.assert_jobs_count(0)
        self.assertEqual(picking.state, "done")
        self.assertFalse(picking.logistics_booking_state)
        self.assertEqual(picking.carrier_price, 9.5)
        self.assertEqual(self.sim.stats()["bookings"], 0)
        _arch, [values] = open_form(self._as_clerk(picking))
        self.assertFalse(values["logistics_booking_state"])

    def test_seller_adds_the_carrier_to_a_quotation(self):
        order = (
            self.env["sale.order"]
            .with_user(self.seller)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        wizard = Form(
            self.env["choose.delivery.carrier"]
            .with_user(self.seller)
            .with_context(default_order_id=order.id, default_carrier_id=self.carrier.id)
        ).save()
        wizard.update_price()  # "Get rate": one call to the carrier
        self.assertGreater(wizard.delivery_price, 0)
        wizard.button_confirm()
        delivery = order.order_line.filtered("is_delivery")
        self.assertEqual(len(delivery), 1)
        self.assertEqual(delivery.product_id, self.carrier.product_id)
        self.assertEqual(self.sim.stats()["bookings"], 0, "a quote books nothing")
        order.with_user(self.seller).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.picking_ids.carrier_id, self.carrier)
