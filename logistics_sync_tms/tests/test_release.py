# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Releases against the TMS simulator (real HTTP on 127.0.0.1): sent once per
version, blocked until fixed, answers applied, changes and cancels in order."""

import json
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, freeze_time, tagged

from .common import TmsCommon
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestRelease(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms()

    def _released(self, qty=1):
        picking = self._tms_picking(qty)
        with trap_jobs() as trap:
            releases = picking._tms_create_releases()
            trap.assert_jobs_count(1)
            self._run_jobs(trap)
        self.assertEqual(picking.tms_release_id, releases)
        return picking, releases

    def test_release_answered_accepted_planned_then_moving(self):
        picking, release = self._released()
        self.assertEqual(release.state, "sent")
        self.assertTrue(release.tms_ref.startswith("TMS-"))
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1}})
        self.assertTrue(release.ack_deadline)
        self._answer(release, 3)  # accepted, carrier_assigned, planned
        self.assertEqual(release.state, "planned")
        self.assertEqual(release.carrier_code, "sim")
        self.assertTrue(release.load_ref.startswith("LOAD-"))
        self.assertTrue(release.planned_delivery_end)
        cost = json.loads(release.planned_cost)  # read by logistics_sync_freight
        self.assertEqual(cost["currency"], "EUR")
        self.assertEqual(cost["lines"][0]["charge_type"], "base_freight")
        self.assertEqual(picking.tms_release_state, "planned")
        self.assertEqual(picking.carrier_tracking_ref, release.tracking_ref)
        self.assertFalse(release.exception)
        # transit milestones go through the milestone path
        self._answer(release, 1)
        self.assertEqual(picking.logistics_milestone, "picked_up")
        # the same answer again changes nothing
        events = self.env["logistics.event"].search([("endpoint_id", "=", self.tms.id)])
        self.assertEqual(set(events.mapped("state")), {"applied"})

    def test_blocked_release_sends_nothing_until_fixed(self):
        product = self.env["product.product"].create({"name": "Weightless", "is_storable": True})
        picking = self._tms_picking(product=product)
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            self._run_jobs(trap)
        self.assertEqual(release.state, "blocked")
        self.assertIn("no weight", release.block_reason)
        self.assertEqual(self.sim.stats()["shipments"], 0)
        self.assertEqual(self.sim.stats()["requests"], 0)
        with trap_jobs() as trap:
            product.weight = 3.0
            trap.assert_jobs_count(1)
            self._run_jobs(trap)
        self.assertEqual(release.state, "sent")
        self.assertFalse(release.block_reason)
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1}})

    def test_update_after_release_sends_a_new_version(self):
        picking, release = self._released()
        self._answer(release, 3)
        with trap_jobs() as trap:
            picking.move_ids.product_uom_qty = 4
            self._run_jobs(trap)
        self.assertEqual(release.version, 2)
        self.assertEqual(release.state, "sent")
        self.assertEqual(
            self._writes(),
            {f"{picking.name}:v1": {"create": 1}, f"{picking.name}:v2": {"update": 1}},
        )
        # a late answer for version 1 is stored as superseded, changing nothing
        self._answer(release, 3)
        self.assertEqual(release.state, "planned")
        self.assertEqual(release.answer_version, 2)

    def test_cancel_after_release(self):
        picking, release = self._released()
        with trap_jobs() as trap:
            picking.action_cancel()
            self._run_jobs(trap)
        self.assertEqual(release.state, "cancelled")
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1, "cancel": 1}})
        self.assertEqual(self.sim.stats()["shipments_by_status"], {"cancelled": 1})

    def test_cancel_while_the_release_is_in_flight(self):
        picking = self._tms_picking()
        self.sim.script_faults({"kind": "503", "after": True})
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            [job] = trap.enqueued_jobs
            trap.enqueued_jobs = []
            self._perform_raising(job, RetryableJobError)
            # the TMS stored it, its answer was lost: the request stays in flight
            self.assertEqual(release.pending_op, "create")
            self.assertFalse(release.tms_ref)
            picking.action_cancel()
            self._run_jobs(trap)  # the create goes out again first, then the cancel
            job.perform()  # the create's own retry: nothing left to do
            self._run_jobs(trap)
        self.assertEqual(release.state, "cancelled")
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1, "cancel": 1}})

    def test_a_failed_call_keeps_its_request_for_the_retry(self):
        """The request in flight is stored before the call, the error after the
        attempt is rolled back; the retry sends the same request (same key)."""
        picking = self._tms_picking()
        self.sim.script_faults({"kind": "503", "after": False})
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            [job] = trap.enqueued_jobs
            trap.enqueued_jobs = []
            caught = self._perform_raising(job, RetryableJobError)
        self.assertGreaterEqual(caught.seconds, 1)
        self.assertEqual((release.pending_op, release.attempts), ("create", 1))
        self.assertIn("503", release.last_error)
        key = release.pending_key
        with trap_jobs() as trap:
            job.perform()  # the same request goes out again
        self.assertEqual(release.last_key, key)
        self.assertEqual(release.state, "sent")
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1}})

    def test_answers_before_the_calls_own_answer_keep_the_lead(self):
        picking = self._tms_picking()
        self.sim.script_faults({"kind": "reset", "after": True})
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            [job] = trap.enqueued_jobs
            trap.enqueued_jobs = []
            self._perform_raising(job, RetryableJobError)
        self.assertFalse(release.tms_ref)
        shipment_id = self.sim.shipment_of(picking.name)["shipment_id"]
        events = [self.sim.advance(shipment_id) for _step in range(3)]
        self._ingest(*events, endpoint=self.tms)
        self._process_pending(self.tms)
        self.assertEqual(release.state, "planned")
        self.assertEqual(release.tms_ref, shipment_id)
        job.perform()  # the retry replays the create: the answers keep the lead
        self.assertEqual(release.state, "planned")
        self.assertFalse(release.pending_op)
        self.assertEqual(self._writes(), {f"{picking.name}:v1": {"create": 1}})

    def test_rejection_and_silence_raise_activities(self):
        picking, release = self._released()
        Activity = self.env["mail.activity"]
        with trap_jobs() as trap:
            self.customer.street = "  "  # passes our checks, not the TMS's planner
            self._run_jobs(trap)
        self.assertEqual(release.version, 2)
        self._answer(release, 1)
        self.assertEqual(release.state, "rejected")
        self.assertIn("consignee street", release.rejection_reason)
        self.assertTrue(release.exception)
        activity = Activity.search(
            [("res_id", "=", picking.id), ("res_model", "=", "stock.picking")]
        )
        self.assertEqual(activity.user_id, self.responsible)
        # a second transfer the TMS never answers
        other, late = self._released()
        self.env["logistics.tms.release"]._cron_tms_ack_timeout()
        self.assertFalse(late.ack_alerted)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=31)):
            self.assertEqual(self.env["logistics.tms.release"]._cron_tms_ack_timeout(), 1)
        self.assertTrue(late.exception)
        activity = Activity.search([("res_id", "=", other.id), ("res_model", "=", "stock.picking")])
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual(self.env["logistics.tms.release"]._cron_tms_ack_timeout(), 0)

    def test_bad_answers_are_dead_letters_never_applied(self):
        picking, release = self._released()
        accepted = self.sim.advance(release.tms_ref)
        unknown = dict(accepted, event_id="bad-1", shipment_ref="WH/OUT/NOPE", tms_ref="TMS-X")
        self.sim.config(carrier_code="zz-unknown")
        assigned = self.sim.advance(release.tms_ref)
        past = dict(
            accepted,
            event_id="bad-2",
            status="planned",
            planned_pickup={"start": "2020-01-01T08:00:00Z", "end": "2020-01-01T12:00:00Z"},
            planned_delivery={"start": "2020-01-02T08:00:00Z", "end": "2020-01-02T12:00:00Z"},
            sequence=accepted["sequence"] + 100,
        )
        events = self._ingest(accepted, unknown, assigned, past, endpoint=self.tms)
        self._process_pending(self.tms)
        by_id = {e.external_id: e for e in events}
        self.assertEqual(by_id[accepted["event_id"]].state, "applied")
        self.assertEqual(by_id[assigned["event_id"]].state, "dead")
        self.assertIn("zz-unknown", by_id[assigned["event_id"]].last_error)
        self.assertEqual(by_id["bad-2"].state, "dead")
        self.assertIn("in the past", by_id["bad-2"].last_error)
        self.assertEqual(release.state, "accepted")
        self.assertFalse(release.carrier_code)
        self.assertFalse(release.planned_delivery_end)
        # the unknown reference waits for a transfer, like any event
        self.assertEqual(by_id["bad-1"].state, "waiting")
        # the same answer with another id changes nothing
        again = self._ingest(dict(accepted, event_id="again-1"), endpoint=self.tms)
        self._process_pending(self.tms)
        self.assertEqual(again.state, "superseded")
        # an answer for a cancelled release
        with trap_jobs() as trap:
            picking.action_cancel()
            self._run_jobs(trap)
        late = self._ingest(
            dict(
                accepted,
                event_id="late-1",
                status="planned",
                planned_pickup=past["planned_pickup"],
                planned_delivery={"start": "2031-01-02T08:00:00Z", "end": "2031-01-02T12:00:00Z"},
            ),
            endpoint=self.tms,
        )
        self._process_pending(self.tms)
        self.assertEqual(late.state, "dead")
        self.assertIn("cancelled", late.last_error)
        self.assertEqual(release.state, "cancelled")

    def test_faults_every_release_reaches_the_tms_once_per_version(self):
        self.sim.config(error_rate=0.3)
        pickings = self.env["stock.picking"]
        for _index in range(8):
            pickings |= self._tms_picking()
        with trap_jobs() as trap:
            releases = pickings._tms_create_releases()
            self._run_jobs(trap)
        self.assertEqual(set(releases.mapped("state")), {"sent"})
        stats = self.sim.stats()
        self.assertEqual(stats["writes"], {f"{p.name}:v1": {"create": 1} for p in pickings})
        self.assertGreater(sum(stats["faults"].values()), 0)

    def test_backorder_is_released_as_its_own_shipment(self):
        picking, release = self._released(qty=2)
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 2.0)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        with trap_jobs() as trap:
            picking.with_context(cancel_backorder=False)._action_done()
            self._run_jobs(trap)
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        self.assertEqual(backorder.tms_release_id.state, "sent")
        self.assertEqual(
            self._writes(),
            {
                f"{picking.name}:v1": {"create": 1},
                f"{picking.name}:v2": {"update": 1},
                f"{backorder.name}:v1": {"create": 1},
            },
        )


@tagged("post_install", "-at_install")
class TestBatchWindow(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms(trigger="batch")

    def test_a_window_sends_its_transfers_in_one_call(self):
        self.tms.tms_batch_size = 4
        pickings = self.env["stock.picking"]
        for _index in range(6):
            pickings |= self._tms_picking()
        with trap_jobs() as trap:
            releases = pickings._tms_create_releases()
            trap.assert_jobs_count(0)  # nothing leaves before the window
            self.assertEqual(set(releases.mapped("state")), {"queued"})
            self.env["logistics.endpoint"]._cron_tms_batch()
            trap.assert_jobs_count(2)  # one job per call: they run side by side
            self._run_jobs(trap)
        stats = self.sim.stats()
        self.assertEqual(stats["batches"], 2)  # 4 + 2
        self.assertEqual(stats["writes"], {f"{p.name}:v1": {"create": 1} for p in pickings})
        self.assertEqual(set(releases.mapped("state")), {"sent"})
        with trap_jobs() as trap:
            self.env["logistics.endpoint"]._cron_tms_batch()  # the window is not over
            trap.assert_jobs_count(0)

    def test_a_failed_window_keeps_its_requests_for_the_retry(self):
        pickings = self._tms_picking() | self._tms_picking()
        self.sim.script_faults({"kind": "503", "after": False})
        with trap_jobs() as trap:
            releases = pickings._tms_create_releases()
            self.env["logistics.endpoint"]._cron_tms_batch()
            [job] = trap.enqueued_jobs
            trap.enqueued_jobs = []
            self._perform_raising(job, RetryableJobError)
        self.assertEqual(set(releases.mapped("pending_op")), {"create"})
        self.assertEqual(set(releases.mapped("state")), {"queued"})
        with trap_jobs() as trap:
            job.perform()  # the same requests go out again
        self.assertEqual(set(releases.mapped("state")), {"sent"})
        self.assertEqual(
            self.sim.stats()["writes"], {f"{p.name}:v1": {"create": 1} for p in pickings}
        )
