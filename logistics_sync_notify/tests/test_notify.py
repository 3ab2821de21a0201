# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Never twice, never stale: notifications follow what base APPLIES."""

import base64

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import NotifyCommon, event


@tagged("post_install", "-at_install")
class TestNotify(NotifyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()

    def setUp(self):
        super().setUp()
        self.picking = self._make_order()
        self.ref = self.picking.name

    def test_burst_gives_one_message_with_the_latest_state(self):
        self._feed(
            self.picking,
            event("b-1", self.ref, "picked_up", 0, tracking_ref="1ZBURST"),
            event("b-2", self.ref, "in_transit", 1),
            event("b-3", self.ref, "out_for_delivery", 2),
        )
        self.assertEqual(self.picking.logistics_milestone, "out_for_delivery")
        # one job for the transfer (identity key), waiting for the debounce delay
        jobs = self._notify_jobs(self.picking)
        self.assertEqual(len(jobs), 1)
        self.assertTrue(jobs.eta)
        self.assertEqual(len(self._notes(self.picking, "pending")), 2)
        self._run_notify_jobs()
        mails = self._mails(self.picking)
        self.assertEqual(len(mails), 1)
        self.assertIn("out for delivery", mails.subject)
        self.assertEqual(mails.recipient_ids, self.customer)
        self.assertIn("1ZBURST", mails.body_html)
        sent = self._notes(self.picking, "sent")
        self.assertEqual(sent.mapped("kind"), ["out_for_delivery"])
        self.assertEqual(sent.recipient, "customer@example.com")
        self.assertEqual(sent.mail_id, mails)
        skipped = self._notes(self.picking, "skipped")
        self.assertEqual(skipped.mapped("reason_code"), ["stale"])
        # the job again: nothing pending, nothing sent
        self.assertEqual(self.picking._job_logistics_notify(), "nothing pending")
        self.assertEqual(len(self._mails(self.picking)), 1)

    def test_duplicates_replays_and_late_events_send_nothing_more(self):
        self._feed(self.picking, event("d-1", self.ref, "in_transit", 0))
        self._run_notify_jobs()
        self.assertEqual(len(self._mails(self.picking)), 1)
        notes = len(self._notes(self.picking))
        # the same event again: a duplicate, nothing stored, nothing sent
        status, _body = self.env["logistics.event"]._ingest(
            self.endpoint, [event("d-1", self.ref, "in_transit", 0)]
        )
        self.assertEqual(status, 200)
        # an older scan arriving late: superseded
        older = self._feed(self.picking, event("d-0", self.ref, "picked_up", -5))
        self.assertEqual(older.state, "superseded")
        # one more in_transit scan (a newer one): applied, no news for the customer
        scan = self._feed(self.picking, event("d-2", self.ref, "in_transit", 10))
        self.assertEqual(scan.state, "applied")
        self.assertFalse(self._notify_jobs(self.picking))
        self.assertEqual(len(self._notes(self.picking)), notes)
        # a delivered event sent twice under two ids, the second one newer: applied,
        # but the customer is told once
        self._validate(self.picking)
        self._feed(self.picking, event("d-3", self.ref, "delivered", 20))
        self._run_notify_jobs()
        again = self._feed(self.picking, event("d-4", self.ref, "delivered", 21))
        self.assertEqual(again.state, "applied")
        self.assertFalse(self._notify_jobs(self.picking))
        self.assertEqual(self._notes(self.picking, "sent").mapped("kind"), ["shipped", "delivered"])
        self.assertEqual(len(self._mails(self.picking)), 2)
        notes = len(self._notes(self.picking))
        # a replay of an applied event leaves it as it is: nothing new
        older.action_replay()
        self._process_pending()
        self.assertFalse(self._notify_jobs(self.picking))
        self.assertEqual(len(self._notes(self.picking)), notes)

    def test_out_for_delivery_after_delivered_sends_nothing(self):
        self._validate(self.picking)
        pod = base64.b64encode(b"%PDF-1.4 signed").decode()
        self._feed(
            self.picking,
            event("o-1", self.ref, "delivered", 30),
            event(
                "o-2",
                self.ref,
                "pod_received",
                31,
                pod={
                    "signed_by": "J. Smith",
                    "document_b64": pod,
                    "document_mimetype": "application/pdf",
                },
            ),
        )
        self._run_notify_jobs()
        mails = self._mails(self.picking)
        self.assertEqual(len(mails), 1)
        self.assertIn("delivered", mails.subject)
        self.assertIn("J. Smith", mails.body_html)
        self.assertIn(f"/my/shipment/{self.picking.id}?access_token=", mails.body_html)
        late = self._feed(self.picking, event("o-3", self.ref, "out_for_delivery", 20))
        self.assertEqual(late.state, "superseded")
        self.assertFalse(self._notify_jobs(self.picking))
        # a delay reported after the delivery: applied (a side milestone), but stale
        self._feed(self.picking, event("o-4", self.ref, "delayed", 40, reason="weather"))
        self._run_notify_jobs()
        self.assertEqual(len(self._mails(self.picking)), 1)
        self.assertEqual(self._notes(self.picking)[-1].reason_code, "stale")

    def test_a_delivered_event_validated_by_a_stock_user(self):
        """The delivery waits for the dispatch; an Inventory / User in no Logistics
        Sync group validates; the customer is told once it is applied."""
        self._feed(self.picking, event("v-1", self.ref, "delivered", 5))
        self.assertFalse(self._notify_jobs(self.picking))
        stock_user = new_test_user(self.env, "ls_notify_stock", groups="stock.group_stock_user")
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.picking.location_id, 1.0
        )
        picking = self.picking.with_user(stock_user)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking._action_done()
        self.env["logistics.event"].search([("external_id", "=", "v-1")])._job_process()
        self._run_notify_jobs()
        self.assertEqual(self._notes(self.picking, "sent").mapped("kind"), ["delivered"])
        # the log is readable on the transfer by that user
        self.assertEqual(picking.logistics_notification_ids.mapped("state"), ["sent"])

    def test_configuration_per_endpoint_and_delivery_method(self):
        self.endpoint.logistics_notify_policy = "none"
        self._feed(self.picking, event("c-1", self.ref, "in_transit", 0))
        self.assertFalse(self._notes(self.picking))
        self.endpoint.logistics_notify_policy = "company"
        carrier = self.env["delivery.carrier"].create(
            {
                "name": "Notify test carrier",
                "product_id": self.env["product.product"]
                .create({"name": "Shipping", "type": "service"})
                .id,
                "logistics_notify_policy": "custom",
                "logistics_notify_kind_ids": [
                    Command.set(self.env.ref("logistics_sync_notify.kind_delivered").ids)
                ],
            }
        )
        self.picking.carrier_id = carrier
        self._feed(self.picking, event("c-2", self.ref, "out_for_delivery", 5))
        self.assertFalse(self._notes(self.picking))
        self.company.logistics_notify_kind_ids = [Command.clear()]
        carrier.logistics_notify_policy = "company"
        self._feed(self.picking, event("c-3", self.ref, "out_for_delivery", 6))
        self.assertFalse(self._notes(self.picking))

    def test_eta_moved_tells_the_customer(self):
        self._feed(
            self.picking, event("e-1", self.ref, "in_transit", 0, eta="2026-11-28T10:00:00Z")
        )
        self._run_notify_jobs()
        self._feed(
            self.picking, event("e-2", self.ref, "in_transit", 10, eta="2026-11-30T10:00:00Z")
        )
        self._run_notify_jobs()
        notes = self._notes(self.picking, "sent")
        self.assertEqual(notes.mapped("kind"), ["shipped", "eta_changed"])
        self.assertIn("planned delivery", self._mails(self.picking)[-1].subject)
        # a move of minutes is no news
        self._feed(
            self.picking, event("e-3", self.ref, "in_transit", 20, eta="2026-11-30T10:20:00Z")
        )
        self.assertFalse(self._notify_jobs(self.picking))
