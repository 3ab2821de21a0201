# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Asynchronous booking against the carrier simulator (a real server on 127.0.0.1)."""

import base64
from datetime import timedelta

import requests

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import API_KEY, CarrierCommon
from odoo.addons.queue_job.tests.common import trap_jobs

QUIET = (
    "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit",
    "odoo.addons.logistics_sync_carrier.models.logistics_endpoint",
    "odoo.addons.logistics_sync_carrier.adapters",
    "urllib3.connectionpool",
)


@tagged("post_install", "-at_install")
class TestRestBooking(CarrierCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("rest", ["--seed", "7", "--timeout-sleep", "3"])

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def test_validation_only_queues_then_the_job_books_with_label(self):
        picking = self._shipment()
        with trap_jobs() as trap:
            self._validate(picking)
            self.assertEqual(picking.logistics_booking_state, "queued")
            self.assertTrue(picking.logistics_booking_key)
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            self.assertEqual(self.sim.stats()["bookings"], 0, "validation did not call the carrier")
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertTrue(picking.carrier_tracking_ref.startswith("SIM"))
        self.assertTrue(picking.logistics_carrier_shipment_id)
        self.assertIn(picking.carrier_tracking_ref, picking.carrier_tracking_url)
        self.assertGreater(picking.carrier_price, 0)
        label = picking.logistics_label_id
        self.assertEqual(label.res_model, "stock.picking")
        self.assertEqual(label.res_id, picking.id)
        self.assertTrue(base64.b64decode(label.datas).startswith(b"%PDF-"))
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})
        booking = self.env["logistics.carrier.booking"].search([("picking_id", "=", picking.id)])
        self.assertEqual(booking.shipment_id, picking.logistics_carrier_shipment_id)
        self.assertEqual(booking.idempotency_key, picking.logistics_booking_key)
        # Running the job again (a crash re-run, a double click) books nothing more.
        with trap_jobs() as trap:
            picking._logistics_book_job()
            picking.action_logistics_retry_booking()
            trap.assert_jobs_count(0)
        self.assertEqual(self.sim.stats()["bookings"], 1)

    @mute_logger(*QUIET)
    def test_flaky_carrier_books_every_transfer_exactly_once(self):
        self.sim.config(error_rate=0.3)
        pickings = self.env["stock.picking"]
        with trap_jobs() as trap:
            for _index in range(8):
                picking = self._shipment()
                self._validate(picking)
                pickings |= picking
            self._run_jobs(trap)
        self.sim.config(error_rate=0.0)
        self.assertEqual(set(pickings.mapped("logistics_booking_state")), {"booked"})
        stats = self.sim.stats()
        self.assertEqual(stats["bookings_by_reference"], dict.fromkeys(pickings.mapped("name"), 1))
        self.assertGreater(sum(stats["faults"].values()), 0, "the carrier did fail along the way")
        self.assertGreater(sum(pickings.mapped("logistics_booking_attempts")), len(pickings))
        self.assertEqual(len(set(pickings.mapped("carrier_tracking_ref"))), 8)

    @mute_logger(*QUIET)
    def test_outage_waits_for_the_carrier_then_books(self):
        self.endpoint.write({"circuit_threshold": 2, "circuit_cooldown": 60})
        self.endpoint.flush_recordset()  # the circuit reads its row in its own transaction
        self.sim.config(outage=True)
        pickings = self._shipment() | self._shipment() | self._shipment()
        with trap_jobs() as trap:
            for picking in pickings:
                self._validate(picking)
            jobs = self._perform_round(trap)  # one round: every booking hits the outage
            self.assertEqual(len(jobs), 3, "each job is postponed by queue_job")
            self.assertEqual(set(pickings.mapped("logistics_booking_state")), {"waiting_carrier"})
            self.assertEqual(self.endpoint.circuit_state, "open")
            self.assertIn("circuit open", pickings[2].logistics_booking_error)
            self.assertEqual(pickings.mapped("logistics_booking_attempts"), [1, 1, 0])
            self.assertEqual(self.sim.stats()["bookings"], 0)
            calls = self.sim.stats()["requests"]
            jobs = self._perform_round(trap, jobs)  # still inside the cooldown: nobody calls
            self.assertEqual(len(jobs), 3)
            self.assertEqual(self.sim.stats()["requests"], calls)
            self.assertEqual(self.endpoint.circuit_state, "open")
            # waiting for an open circuit is not an attempt (queue_job's retries neither)
            self.assertEqual(pickings.mapped("logistics_booking_attempts"), [1, 1, 0])
            self.assertEqual([job.retry for job in jobs], [1, 1, 0])
            # The carrier is back and the cooldown has passed.
            self.sim.config(outage=False)
            self.endpoint.circuit_opened_at = fields.Datetime.now() - timedelta(minutes=5)
            self.endpoint.flush_recordset()
            self._run_jobs(trap, jobs)
        self.assertEqual(set(pickings.mapped("logistics_booking_state")), {"booked"})
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertEqual(
            self.sim.stats()["bookings_by_reference"], dict.fromkeys(pickings.mapped("name"), 1)
        )

    def test_refused_booking_fails_with_reason_and_activity(self):
        picking = self._shipment()
        self.endpoint.auth_api_key = "wrong-key"
        with trap_jobs() as trap:
            self._validate(picking)
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "failed")
        self.assertIn("credentials", picking.logistics_booking_error)
        self.assertNotIn("wrong-key", picking.logistics_booking_error)
        self.assertTrue(picking.activity_ids, "someone is told")
        self.endpoint.auth_api_key = "test-sim-key"
        with trap_jobs() as trap:
            picking.action_logistics_retry_booking()
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked")

    def test_cancel_and_return_label(self):
        picking = self._shipment()
        with trap_jobs() as trap:
            self._validate(picking)
            self._run_jobs(trap)
        shipment_id = picking.logistics_carrier_shipment_id
        booking_key = picking.logistics_booking_key
        self.carrier.get_return_label(picking)
        self.assertTrue(
            picking.message_ids.attachment_ids.filtered(lambda a: a.name.startswith("LabelReturn"))
        )
        picking.cancel_shipment()
        self.assertEqual(picking.logistics_booking_state, "cancelled")
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertIn(
            f"Shipment {shipment_id} cancelled at the carrier",
            " ".join(picking.message_ids.mapped("body")),
        )
        at_carrier = requests.get(
            f"{self.sim.url}/v1/shipments/{shipment_id}", headers={"X-API-Key": API_KEY}, timeout=5
        ).json()
        self.assertTrue(at_carrier["cancelled"], at_carrier)
        # Shipping again books a new shipment (new key), not the cancelled one.
        old_key = booking_key
        with trap_jobs() as trap:
            picking.send_to_shipper()
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertNotEqual(picking.logistics_booking_key, old_key)
        self.assertNotEqual(picking.logistics_carrier_shipment_id, shipment_id)
        self.assertTrue(picking.carrier_tracking_ref)
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 2})


@tagged("post_install", "-at_install")
class TestSoapBooking(CarrierCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("soap")

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def test_soap_booking_round_trip(self):
        picking = self._shipment()
        with trap_jobs() as trap:
            self._validate(picking)
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertTrue(picking.carrier_tracking_ref)
        self.assertTrue(base64.b64decode(picking.logistics_label_id.datas).startswith(b"%PDF-"))
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})

    def test_xxe_and_billion_laughs_answers_are_refused(self):
        with open("/etc/hostname") as handle:
            hostname = handle.read().strip()
        for mode in ("xxe", "billion_laughs", "dtd"):
            self.sim.config(soap_evil=mode)
            picking = self._shipment()
            with trap_jobs() as trap:
                self._validate(picking)
                self._run_jobs(trap)
            self.assertEqual(picking.logistics_booking_state, "failed", mode)
            self.assertIn("Unsafe XML refused", picking.logistics_booking_error)
            if hostname:
                self.assertNotIn(hostname, picking.logistics_booking_error)
                self.assertNotIn(hostname, picking.carrier_tracking_ref or "")
            self.assertFalse(picking.logistics_carrier_shipment_id)
        self.assertEqual(self.sim.stats().get("evil_dtd_fetches", 0), 0)
        self.sim.config(soap_evil="")
