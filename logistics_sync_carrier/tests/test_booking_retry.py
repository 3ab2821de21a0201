# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Lost answers never book twice, and booking jobs follow queue_job's conventions.

The carrier simulator (a real server on 127.0.0.1) stores a booking and then
times out, answers 5xx or resets the connection; or our own code fails after
the carrier answered.  Whatever retries next (the job, the "Retry booking"
button), the carrier holds exactly one booking and the transfer ends booked.
An Inventory / User in no Logistics Sync group validates and presses the button.
"""

from unittest.mock import patch

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..adapters import RestCarrierClient, TransientCarrierError
from .common import CarrierCommon
from odoo.addons.logistics_sync_base.lib.locks import CONFLICT_RETRY_SECONDS, SnapshotConflict
from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

QUIET = (
    "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit",
    "odoo.addons.logistics_sync_carrier.models.logistics_endpoint",
    "odoo.addons.logistics_sync_carrier.models.stock_picking",
    "odoo.addons.logistics_sync_carrier.adapters",
    "urllib3.connectionpool",
)
LOST_ANSWERS = ("timeout", "500", "reset")


@tagged("post_install", "-at_install")
class TestLostAnswers(CarrierCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("rest", ["--timeout-sleep", "3"])
        cls.clerk = new_test_user(cls.env, login="ls_stock_clerk", groups="stock.group_stock_user")

    def setUp(self):
        super().setUp()
        self.sim.reset()

    # ------------------------------------------------------------------ helpers
    def _arm(self, kind, after=True):
        """Make the simulator's next booking request fault with ``kind`` (after
        storing the booking when ``after``), through its control API."""
        self.sim.reset()
        # Longer than the client's timeout, which Odoo's test mode raises to 10 s.
        self.sim.config(timeout_sleep=10.5)
        self.sim.script_faults({"kind": kind, "after": after})

    def _validated_by_clerk(self, trap):
        picking = self._shipment()
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        as_clerk = picking.with_user(self.clerk)
        self.assertIs(as_clerk.button_validate(), True)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.logistics_booking_state, "queued")
        [job] = trap.enqueued_jobs
        self.assertEqual(job.channel, self.endpoint.channel_name)
        self.assertEqual(job.max_retries, self.endpoint.max_attempts)
        self.assertIsNone(job.eta)
        self.assertEqual(job.recordset.env.uid, self.clerk.id, "the job runs as the clerk")
        trap.enqueued_jobs.remove(job)  # the test runs it, as the runner would
        return as_clerk, job

    def _lost_answer(self, kind, trap):
        """Validate; the first booking call is stored by the carrier, its answer lost."""
        self._arm(kind)
        picking, job = self._validated_by_clerk(trap)
        key = picking.logistics_booking_key
        caught = self._perform_raising(job, RetryableJobError)
        self.assertGreaterEqual(caught.seconds, 1)
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})
        self.assertEqual(picking.logistics_booking_state, "waiting_carrier")
        self.assertEqual(picking.logistics_booking_attempts, 1)
        self.assertTrue(picking.logistics_booking_next_at)
        self.assertFalse(picking.logistics_carrier_shipment_id)
        return picking, job, key

    def _assert_booked_once(self, picking, key):
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertEqual(picking.logistics_booking_key, key, "the key was never replaced")
        self.assertTrue(picking.carrier_tracking_ref)
        self.assertTrue(picking.logistics_label_id)
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})

    # -------------------------------------------------------------- lost answers
    @mute_logger(*QUIET)
    def test_job_retry_after_a_lost_answer_books_once(self):
        for kind in LOST_ANSWERS:
            with self.subTest(kind=kind), trap_jobs() as trap:
                picking, job, key = self._lost_answer(kind, trap)
                self._run_jobs(trap, [job])  # queue_job runs the same job again
                self._assert_booked_once(picking, key)
                self.assertEqual(job.retry, 2)
                self.assertEqual(picking.logistics_booking_attempts, 2)

    @mute_logger(*QUIET)
    def test_retry_button_after_a_lost_answer_books_once(self):
        for kind in LOST_ANSWERS:
            with self.subTest(kind=kind), trap_jobs() as trap:
                picking, _job, key = self._lost_answer(kind, trap)
                # the clerk does not wait for the next attempt
                picking.action_logistics_retry_booking()
                self.assertEqual(picking.logistics_booking_state, "queued")
                [retry] = trap.enqueued_jobs
                self.assertEqual(retry.channel, self.endpoint.channel_name)
                self.assertEqual(retry.max_retries, self.endpoint.max_attempts)
                self._run_jobs(trap)
                self._assert_booked_once(picking, key)

    @mute_logger(*QUIET)
    def test_failed_after_the_last_attempt_then_button_books_once(self):
        self.endpoint.max_attempts = 1
        with trap_jobs() as trap:
            self._arm("timeout")
            picking, job = self._validated_by_clerk(trap)
            key = picking.logistics_booking_key
            self.assertEqual(job.max_retries, 1)
            self._perform_raising(job, FailedJobError)
            self.assertEqual(picking.logistics_booking_state, "failed")
            self.assertTrue(picking.logistics_booking_error)
            self.assertEqual(picking.activity_ids.summary, "Carrier booking")
            self.assertEqual(picking.activity_ids.user_id, self.responsible)
            self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})
            picking.action_logistics_retry_booking()
            self._run_jobs(trap)
        self._assert_booked_once(picking, key)

    @mute_logger(*QUIET)
    def test_our_code_failing_after_the_answer_books_once(self):
        for step in ("_logistics_persist_booking", "label"):
            with self.subTest(step=step), trap_jobs() as trap:
                self.sim.reset()
                picking, job = self._validated_by_clerk(trap)
                key = picking.logistics_booking_key
                target = RestCarrierClient if step == "label" else type(picking)
                with patch.object(target, step, side_effect=ValueError("crashed after the answer")):
                    self._perform_raising(job, RetryableJobError)
                self.assertEqual(picking.logistics_booking_state, "waiting_carrier")
                self.assertIn("crashed after the answer", picking.logistics_booking_error)
                self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})
                picking.action_logistics_retry_booking()
                self._run_jobs(trap)
                self._assert_booked_once(picking, key)

    @mute_logger(*QUIET)
    def test_finishing_in_odoo_failing_leaves_the_transfer_booked(self):
        with trap_jobs() as trap:
            picking, job = self._validated_by_clerk(trap)
            with patch.object(
                type(picking), "_logistics_booking_done", side_effect=RuntimeError("no label")
            ):
                self.assertIn("booked, with an error after", job.perform())
            self.assertEqual(picking.logistics_booking_state, "booked")
            self.assertTrue(picking.activity_ids, "someone is told")
            picking.action_logistics_retry_booking()  # nothing to retry
            trap.assert_jobs_count(0)
        self.assertEqual(self.sim.stats()["bookings_by_reference"], {picking.name: 1})

    # ------------------------------------------------------- queue_job conventions
    @mute_logger(*QUIET)
    def test_retry_after_of_the_carrier_is_the_jobs_delay(self):
        self._arm("429", after=False)
        with trap_jobs() as trap:
            picking, job = self._validated_by_clerk(trap)
            caught = self._perform_raising(job, RetryableJobError)
            self.assertEqual(caught.seconds, 1, "the simulator's Retry-After: 1")
            self.assertFalse(caught.ignore_retry)
            self.assertEqual(job.retry, 1)
            self.assertEqual(self.sim.stats()["bookings"], 0)
            self._run_jobs(trap, [job])
        self.assertEqual(picking.logistics_booking_state, "booked")

    @mute_logger(*QUIET)
    def test_a_failed_attempt_is_recorded_outside_after_the_attempt(self):
        """Carrier trouble after the carrier stored the booking (the label fails):
        the transfer is written only after the last call, so the attempt leaves it
        untouched; the retry state is recorded once the attempt is rolled back, and
        the retry finds the booking again (same key: booked once)."""
        with trap_jobs() as trap:
            picking, job = self._validated_by_clerk(trap)
            key = picking.logistics_booking_key
            with patch.object(
                RestCarrierClient, "label", side_effect=TransientCarrierError("503 label")
            ):
                caught = self._perform_raising(job, RetryableJobError)
            self.assertGreaterEqual(caught.seconds, 1)
            self.assertFalse(caught.ignore_retry)
            self.assertEqual(picking.logistics_booking_state, "waiting_carrier")
            self.assertEqual(picking.logistics_booking_attempts, 1)
            self.assertEqual(picking.logistics_booking_error, "503 label")
            self.assertFalse(picking.logistics_carrier_shipment_id, "written after the last call")
            self.assertFalse(picking.carrier_tracking_ref)
            self._run_jobs(trap, [job])
        self._assert_booked_once(picking, key)

    def test_open_circuit_waits_without_counting_an_attempt(self):
        self.endpoint.write({"circuit_cooldown": 60})
        self.endpoint.sudo().write({"circuit_state": "open", "circuit_failures": 5})
        self.endpoint.flush_recordset()
        with trap_jobs() as trap:
            picking, job = self._validated_by_clerk(trap)
            caught = self._perform_raising(job, RetryableJobError)
            self.assertTrue(caught.ignore_retry)
            self.assertTrue(1 <= caught.seconds <= 60, caught.seconds)
            self.assertEqual(job.retry, 0)
            self.assertEqual(picking.logistics_booking_attempts, 0)
            self.assertEqual(picking.logistics_booking_state, "waiting_carrier")
            self.assertEqual(self.sim.stats()["requests"], 0)

    def test_snapshot_conflict_postpones_briefly(self):
        with trap_jobs() as trap:
            picking, job = self._validated_by_clerk(trap)

            def conflict(*_args, **_kwargs):
                raise SnapshotConflict("40001")

            with patch("odoo.addons.logistics_sync_carrier.models.stock_picking.claim", conflict):
                caught = self._perform_raising(job, RetryableJobError)
            self.assertEqual(caught.seconds, CONFLICT_RETRY_SECONDS)
            self.assertTrue(caught.ignore_retry)
            self.assertEqual(len(trap.calls), 1, "no job queued on the side")
            self.assertEqual(picking.logistics_booking_state, "queued")
            self._run_jobs(trap, [job])
        self.assertEqual(picking.logistics_booking_state, "booked")

    def test_retry_button_replaces_the_waiting_job(self):
        """The button cancels the transfer's postponed booking job: one chain at a time."""
        with trap_jobs():
            picking = self._shipment()
            self._validate(picking)
        Job = self.env["queue.job"]
        # as stored by the runner: the postponed job of this transfer
        picking.sudo().with_delay(
            identity_key=picking._logistics_booking_identity(),
            channel=self.endpoint.channel_name,
        )._logistics_book_job()
        waiting = Job.search([("identity_key", "=", picking._logistics_booking_identity())])
        self.assertEqual(waiting.state, "pending")
        picking.logistics_booking_state = "waiting_carrier"
        picking.with_user(self.clerk).action_logistics_retry_booking()
        jobs = Job.search([("identity_key", "=", picking._logistics_booking_identity())])
        self.assertEqual(sorted(jobs.mapped("state")), ["cancelled", "pending"])
        self.assertEqual(waiting.state, "cancelled")
        self.assertEqual((jobs - waiting).channel, self.endpoint.channel_name)
        self.assertEqual((jobs - waiting).max_retries, self.endpoint.max_attempts)
