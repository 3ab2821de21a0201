# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Ordering, waiting, side milestones, retries: jobs run directly in real Odoo."""

import base64
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from ..lib.locks import SnapshotConflict
from .common import LogisticsCommon, event
from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

EVENT_LOGGER = "odoo.addons.logistics_sync_base.models.logistics_event_processing"


@tagged("post_install", "-at_install")
class TestProcessing(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()

    def setUp(self):
        super().setUp()
        self.picking = self._make_picking()
        self.ref = self.picking.name

    def test_in_order_stream_applies_every_event(self):
        events = self._ingest(
            event("o-1", self.ref, "released", 1),
            event("o-2", self.ref, "booked", 2),
            event("o-3", self.ref, "picked_up", 3),
        )
        self._process_pending()
        self.assertEqual(set(events.mapped("state")), {"applied"})
        self.assertEqual(self.picking.logistics_milestone, "picked_up")
        self.assertEqual(self.picking.logistics_sync_state, "synced")
        self.assertEqual(events.picking_id, self.picking)
        self.assertEqual(len(self.picking.logistics_event_ids), 3)

    def test_out_of_order_three_one_two_ends_like_one_two_three(self):
        other = self._make_picking()
        self._ingest(
            *[
                event(f"io-{i}", other.name, m, i)
                for i, m in enumerate(("released", "booked", "picked_up"), 1)
            ]
        )
        self._process_pending()
        # now the same stream shuffled, each event in its own request and job
        for eid, milestone, minute in (
            ("s-3", "picked_up", 3),
            ("s-1", "released", 1),
            ("s-2", "booked", 2),
        ):
            self._ingest(event(eid, self.ref, milestone, minute))
            self._process_pending()
        self.assertEqual(self.picking.logistics_milestone, other.logistics_milestone)
        self.assertEqual(self.picking.logistics_milestone_at, other.logistics_milestone_at)
        states = {e.external_id: e.state for e in self.picking.logistics_event_ids}
        self.assertEqual(states, {"s-3": "applied", "s-1": "superseded", "s-2": "superseded"})
        # history shows all three, superseded ones included
        self.assertEqual(len(self.picking.logistics_event_ids), 3)

    def test_sequence_orders_same_milestone_scans(self):
        self._ingest(
            event("q-2", self.ref, "in_transit", 5, sequence=2, location={"city": "Paris"})
        )
        self._process_pending()
        # an older scan with a lower sequence, arriving late, even with a later clock
        self._ingest(event("q-1", self.ref, "in_transit", 9, sequence=1, location={"city": "Lyon"}))
        self._process_pending()
        self.assertEqual(self.picking.logistics_sequence, 2)
        q1 = self.env["logistics.event"].search([("external_id", "=", "q-1")])
        self.assertEqual(q1.state, "superseded")

    def test_delivery_before_dispatch_waits_then_applies_on_validation(self):
        delivered = self._ingest(event("d-1", self.ref, "delivered", 10))
        self._process_pending()
        self.assertEqual(delivered.state, "waiting")
        self.assertEqual(delivered.wait_reason, "needs_dispatch")
        self.assertFalse(self.picking.logistics_milestone)
        self.assertEqual(self.picking.logistics_sync_state, "waiting")
        with trap_jobs() as trap:
            self._validate(self.picking)
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            trap.perform_enqueued_jobs()
        self.assertEqual(delivered.state, "applied")
        self.assertEqual(self.picking.logistics_milestone, "delivered")

    def test_long_wait_for_dispatch_raises_one_activity(self):
        delivered = self._ingest(event("d-2", self.ref, "delivered", 10))
        self._process_pending()
        activity_type = self.env.ref("logistics_sync_base.mail_activity_logistics_exception")
        later = fields.Datetime.now() + timedelta(minutes=self.endpoint.waiting_alert_minutes + 1)
        with freeze_time(later):
            self.env["logistics.event"]._cron_check_waiting()
            self.env["logistics.event"]._cron_check_waiting()
        activities = self.picking.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.responsible)
        self.assertTrue(delivered.wait_alerted)

    def test_side_milestone_flags_without_moving_and_schedules_activity(self):
        self._ingest(event("x-1", self.ref, "in_transit", 1))
        self._ingest(event("x-2", self.ref, "delayed", 2, reason="Storm at hub"))
        self._process_pending()
        self.assertEqual(self.picking.logistics_milestone, "in_transit")
        self.assertTrue(self.picking.logistics_exception)
        self.assertEqual(self.picking.logistics_exception_reason, "Storm at hub")
        activity = self.picking.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn("Delayed", activity.summary)
        # the chatter shows the timeline
        bodies = " ".join(self.picking.message_ids.mapped("body"))
        self.assertIn("In transit", bodies)
        self.assertIn("Storm at hub", bodies)

    def test_proof_of_delivery_is_an_attachment(self):
        self._validate(self.picking)
        document = base64.b64encode(b"%PDF-1.4 signed").decode()
        pod = self._ingest(
            event(
                "p-1",
                self.ref,
                "pod_received",
                5,
                pod={
                    "signed_by": "J. Doe",
                    "document_b64": document,
                    "document_mimetype": "application/pdf",
                },
            )
        )
        self._process_pending()
        self.assertEqual(pod.state, "applied")
        self.assertEqual(self.picking.logistics_pod_signed_by, "J. Doe")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", self.picking.id)]
        )
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment.raw, b"%PDF-1.4 signed")

    def test_tracking_reference_resolves_and_external_reference_too(self):
        self.picking.carrier_tracking_ref = "TRK123"
        e1 = self._ingest(event("t-1", "TRK123", "picked_up", 1))
        self.picking.logistics_external_ref = "TMS-77"
        e2 = self._ingest(event("t-2", "TMS-77", "in_transit", 2))
        self._process_pending()
        self.assertEqual((e1 | e2).picking_id, self.picking)
        self.assertEqual(self.picking.logistics_milestone, "in_transit")

    def test_unknown_reference_waits_then_dead_then_replay_applies(self):
        ghost = self._ingest(event("u-1", "WH/OUT/GHOST", "picked_up", 1))
        self._process_pending()
        self.assertEqual(ghost.state, "waiting")
        self.assertEqual(ghost.wait_reason, "unknown_ref")
        later = fields.Datetime.now() + timedelta(
            minutes=self.endpoint.unknown_ref_wait_minutes + 1
        )
        with freeze_time(later), trap_jobs() as trap:
            self.env["logistics.event"]._cron_check_waiting()
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            trap.perform_enqueued_jobs()
        self.assertEqual(ghost.state, "dead")
        self.assertIn("WH/OUT/GHOST", ghost.last_error)
        self.assertEqual(ghost.error_class.rsplit(".", 1)[-1], "PermanentEventError")
        # the transfer appears under that name; a manager replays the dead letter
        picking = self._make_picking(name="WH/OUT/GHOST")
        with trap_jobs() as trap:
            ghost.action_replay()
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            trap.perform_enqueued_jobs()
        self.assertEqual(ghost.state, "applied")
        self.assertEqual(ghost.replay_count, 1)
        self.assertEqual(picking.logistics_milestone, "picked_up")

    def test_transfer_created_later_wakes_waiting_event(self):
        early = self._ingest(event("u-2", "WH/OUT/LATER", "booked", 1))
        self._process_pending()
        self.assertEqual(early.state, "waiting")
        with trap_jobs() as trap:
            picking = self._make_picking(name="WH/OUT/LATER")
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            trap.perform_enqueued_jobs()
        self.assertEqual(early.state, "applied")
        self.assertEqual(picking.logistics_milestone, "booked")

    @mute_logger(EVENT_LOGGER)
    def test_transient_error_retries_with_backoff_then_dead_letter(self):
        """The batch stores the failure and queues the event's own job; that job
        raises RetryableJobError with the backoff, then fails with a dead letter."""
        self.endpoint.max_attempts = 3
        flaky = self._ingest(event("f-1", self.ref, "picked_up", 1))
        good_picking = self._make_picking()
        good = self._ingest(event("f-2", good_picking.name, "picked_up", 1))
        original = type(self.env["stock.picking"])._logistics_apply

        def apply_or_fail(picking, evt):
            if evt.external_id == "f-1":
                raise ConnectionError("TMS hiccup")
            return original(picking, evt)

        with patch.object(type(self.env["stock.picking"]), "_logistics_apply", apply_or_fail):
            with trap_jobs() as trap:
                self.assertEqual(self.endpoint._job_process_pending(), "2 events processed")
                self.assertEqual(good.state, "applied", "the batch keeps the others' success")
                self.assertEqual(flaky.state, "failed")
                self.assertEqual(flaky.attempts, 1)
                self.assertTrue(flaky.next_attempt_at)
                trap.assert_jobs_count(1)
                [job] = trap.enqueued_jobs
                self.assertEqual(job.recordset, flaky)
                self.assertEqual(job.method_name, "_job_process")
                self.assertEqual(job.channel, self.endpoint.channel_name)
                self.assertEqual(job.max_retries, 2, "the attempts left")
                self.assertGreater(job.eta, fields.Datetime.now())
                # second attempt: queue_job postpones the same job by the backoff
                caught = self._perform_raising(job, RetryableJobError)
                self.assertTrue(30 <= caught.seconds <= 60, caught.seconds)
                self.assertFalse(caught.ignore_retry)
                self.assertEqual(flaky.state, "failed")
                self.assertEqual(flaky.attempts, 2)
                self.assertEqual(len(trap.calls), 1, "no new job: the same one is retried")
                # last attempt: a dead letter, and the job fails
                self._perform_raising(job, FailedJobError)
        self.assertEqual(flaky.state, "dead")
        self.assertEqual(flaky.attempts, 3)
        self.assertIn("TMS hiccup", flaky.last_error)
        self.assertIn("ConnectionError", flaky.sudo().error_traceback)
        self.assertFalse(self.picking.logistics_milestone)
        self.assertEqual(self.picking.logistics_sync_state, "error")

    @mute_logger(EVENT_LOGGER)
    def test_one_bad_event_does_not_block_the_batch(self):
        bad = self._ingest(event("bad-1", self.ref, "picked_up", 1))
        good_picking = self._make_picking()
        good = self._ingest(event("good-1", good_picking.name, "picked_up", 2))
        original = type(self.env["stock.picking"])._logistics_apply

        def apply_or_fail(picking, evt):
            if evt.external_id == "bad-1":
                raise RuntimeError("broken")
            return original(picking, evt)

        with patch.object(type(self.env["stock.picking"]), "_logistics_apply", apply_or_fail):
            with trap_jobs():
                self._process_pending()
        self.assertEqual(bad.state, "failed")
        self.assertEqual(good.state, "applied")
        self.assertEqual(good_picking.logistics_milestone, "picked_up")

    def test_requests_share_a_pending_job_but_not_one_already_dispatched(self):
        Job = self.env["queue.job"]
        domain = [("channel", "=", self.endpoint.channel_name)]
        Event, hook = self.env["logistics.event"], self.endpoint._snapshot()
        # as the webhook does (with the endpoint's snapshot): rely on a pending job
        Event._ingest(self.endpoint, [event("pj-1", self.ref, "booked", 1)], hook=hook)
        Event._ingest(self.endpoint, [event("pj-2", self.ref, "picked_up", 2)], hook=hook)
        self.assertEqual(
            Job.search_count(domain), 1, "the second request relies on the pending job"
        )
        # Once the runner has taken it, the job may already be running: a new one is queued.
        Job.search(domain).write({"state": "enqueued"})
        Event._ingest(self.endpoint, [event("pj-3", self.ref, "in_transit", 3)], hook=hook)
        self.assertEqual(sorted(Job.search(domain).mapped("state")), ["enqueued", "pending"])

    def test_a_job_that_meets_another_jobs_work_requeues_at_once(self):
        """A serialization failure is not left to queue_job (5 s postpone): a fresh
        job on the endpoint's channel takes over at once (bench/pipeline)."""
        received = self._ingest(event("sc-1", self.ref, "booked", 1))
        Job = self.env["queue.job"]
        Job.search([("channel", "=", self.endpoint.channel_name)]).write({"state": "done"})

        def conflict(*_args, **_kwargs):
            raise SnapshotConflict("40001")

        with patch.object(type(self.env["logistics.event"]), "_claim_received", conflict):
            result = self.endpoint._job_process_pending()
        self.assertIn("re-queued", result)
        self.assertEqual(received.state, "received")
        pending = Job.search(
            [("channel", "=", self.endpoint.channel_name), ("state", "=", "pending")]
        )
        self.assertEqual(len(pending), 1, "a fresh job takes over")
        # a job for given events (retry, replay, wake-up) does the same
        with (
            patch.object(type(self.env["logistics.event"]), "_process", conflict),
            trap_jobs() as trap,
        ):
            self.assertIn("re-queued", received._job_process())
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            self.assertEqual(trap.enqueued_jobs[0].recordset, received)

    def test_cron_queues_a_job_for_events_no_job_picked_up(self):
        stranded = self._ingest(event("st-1", self.ref, "booked", 1))
        endpoints = self.env["logistics.endpoint"]._cron_process_stale()
        self.assertFalse(endpoints, "fresh events are left to their own job")
        # The job ran without seeing the event (the case the cron is a safety net for).
        jobs = self.env["queue.job"].search([("channel", "=", self.endpoint.channel_name)])
        self.assertEqual(jobs.mapped("state"), ["pending"])
        jobs.write({"state": "done"})
        with freeze_time(fields.Datetime.now() + timedelta(minutes=2)), trap_jobs() as trap:
            endpoints = self.env["logistics.endpoint"]._cron_process_stale()
            self.assertEqual(endpoints, self.endpoint)
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(stranded.state, "applied")

    def test_stale_cron_never_stacks_jobs_during_a_backlog(self):
        stranded = self._ingest(event("st-2", self.ref, "booked", 1))
        Job = self.env["queue.job"]
        domain = [("channel", "=", self.endpoint.channel_name)]
        Job.search(domain).write({"state": "done"})  # ran without seeing the event
        later = fields.Datetime.now() + timedelta(minutes=2)
        with freeze_time(later):
            self.assertEqual(self.env["logistics.endpoint"]._cron_process_stale(), self.endpoint)
        self.assertEqual(Job.search_count(domain + [("state", "=", "pending")]), 1)
        # the runner is busy: that job has not started when the cron runs again
        with freeze_time(later + timedelta(minutes=1)), trap_jobs() as trap:
            self.assertFalse(self.env["logistics.endpoint"]._cron_process_stale())
            trap.assert_jobs_count(0)
        # postponed (a retry later) counts too; enqueued as well
        job = Job.search(domain + [("state", "=", "pending")])
        for state in ("enqueued", "pending"):
            job.write({"state": state, "eta": later + timedelta(minutes=5)})
            with freeze_time(later + timedelta(minutes=1)), trap_jobs() as trap:
                self.env["logistics.endpoint"]._cron_process_stale()
                trap.assert_jobs_count(0)
        # once it started (or failed), a stale event gets a job again
        job.write({"state": "failed"})
        with freeze_time(later + timedelta(minutes=1)), trap_jobs() as trap:
            self.env["logistics.endpoint"]._cron_process_stale()
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(stranded.state, "applied")

    def test_waiting_cron_never_stacks_jobs_during_a_backlog(self):
        ghost = self._ingest(event("u-2", "WH/OUT/GHOST2", "picked_up", 1))
        self._process_pending()
        self.assertEqual(ghost.wait_reason, "unknown_ref")
        Job = self.env["queue.job"]
        domain = [
            ("method_name", "=", "_job_process"),
            ("channel", "=", self.endpoint.channel_name),
        ]
        self.env["logistics.event"]._cron_check_waiting()
        job = Job.search(domain)
        self.assertEqual(len(job), 1)
        self.assertEqual(job.identity_key, f"logistics_sync-unknown-ref-{self.endpoint.id}")
        # a backlog: the job has not started when the cron runs again
        with trap_jobs() as trap:
            self.env["logistics.event"]._cron_check_waiting()
            trap.assert_jobs_count(0)
        self.assertEqual(Job.search_count(domain), 1)
        # once it ran, the next run queues the next try
        job.write({"state": "done"})
        with trap_jobs() as trap:
            self.env["logistics.event"]._cron_check_waiting()
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].recordset, ghost)

    def test_events_are_immutable_but_state_moves(self):
        stored = self._ingest(event("im-1", self.ref, "booked", 1))
        with self.assertRaisesRegex(Exception, "immutable"):
            stored.write({"milestone": "delivered"})
        with self.assertRaisesRegex(Exception, "immutable"):
            stored.write({"payload": "{}"})
        self.assertEqual(stored.milestone, "booked")

    def test_retention_purges_processed_events_but_keeps_dead_letters(self):
        old = self._ingest(event("r-1", self.ref, "booked", 1))
        dead = self._ingest(event("r-2", "NOPE", "booked", 1))
        self._process_pending()
        dead.write({"state": "dead"})
        with freeze_time(fields.Datetime.now() + timedelta(days=self.endpoint.retention_days + 1)):
            self.env["logistics.event"]._gc_expired_events()
        self.assertFalse(old.exists())
        self.assertTrue(dead.exists())

    def test_multi_company_endpoint_cannot_touch_other_company_transfer(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        endpoint_b = self.env["logistics.endpoint"].create(
            {"name": "B carrier", "code": "b-carrier", "company_id": company_b.id}
        )
        # company B's carrier names company A's transfer
        foreign = self._ingest(event("mc-1", self.ref, "picked_up", 1), endpoint=endpoint_b)
        self.assertEqual(foreign.company_id, company_b)
        self._process_pending(endpoint_b)
        self.assertEqual(foreign.state, "waiting")
        self.assertFalse(foreign.picking_id)
        self.assertFalse(self.picking.logistics_milestone)
        # a transfer of company B with a matching reference is found
        picking_b = self._make_picking(company=company_b, name=self.ref)
        with trap_jobs() as trap:
            foreign.action_replay()
            trap.perform_enqueued_jobs()
        self.assertEqual(foreign.picking_id, picking_b)
        self.assertFalse(self.picking.logistics_milestone)
