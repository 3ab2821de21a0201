# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""TMS answers as a TMS sends them (the simulator on 127.0.0.1): re-plans, answers
signed by another endpoint, refusals inside a batch; and the answer-deadline cron
with a responsible group only, or with one endpoint that fails."""

from datetime import timedelta

import requests

from odoo import fields
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import TOKEN, TmsCommon
from odoo.addons.queue_job.tests.common import trap_jobs

CRON_LOG = "odoo.addons.logistics_sync_base.models.logistics_endpoint_cron"


def _rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _messages(record):
    """The record's chatter messages, newest first (read from the database)."""
    return record.env["mail.message"].search(
        [("model", "=", record._name), ("res_id", "=", record.id)], order="id desc"
    )


def _activities(picking):
    return picking.env["mail.activity"].search(
        [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
    )


@tagged("post_install", "-at_install")
class TestAnswers(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms()

    def _released(self):
        picking = self._tms_picking()
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            self._run_jobs(trap)
        self.assertEqual(release.state, "sent")
        return picking, release

    def _planned(self):
        picking, release = self._released()
        events = self._answer(release, 3)  # accepted, carrier_assigned, planned
        self.assertEqual(release.state, "planned")
        return picking, release, events[-1]

    def test_a_later_plan_for_the_same_version_is_applied(self):
        picking, release, planned = self._planned()
        before = (release.planned_pickup_start, release.planned_delivery_end, release.load_ref)
        start = fields.Datetime.now().replace(microsecond=0) + timedelta(days=3)
        replan = dict(
            planned,
            event_id="replan-1",
            sequence=planned["sequence"] + 5,
            load_ref="LOAD-REPLAN",
            planned_pickup={
                "start": _rfc3339(start),
                "end": _rfc3339(start + timedelta(hours=2)),
            },
            planned_delivery={
                "start": _rfc3339(start + timedelta(days=1)),
                "end": _rfc3339(start + timedelta(days=1, hours=4)),
            },
        )
        messages = len(_messages(picking))
        [event] = self._ingest(replan, endpoint=self.tms)
        self._process_pending(self.tms)
        self.assertEqual(event.state, "applied")
        self.assertEqual(release.state, "planned")
        self.assertEqual(release.planned_pickup_start, start)
        self.assertEqual(release.planned_delivery_end, start + timedelta(days=1, hours=4))
        self.assertEqual(release.load_ref, "LOAD-REPLAN")
        self.assertEqual(picking.tms_planned_delivery, start + timedelta(days=1, hours=4))
        self.assertEqual(len(_messages(picking)), messages + 1)
        note = _messages(picking)[0].body
        self.assertIn("re-planned", note)
        self.assertIn(f"{before[2]} → LOAD-REPLAN", note)
        self.assertIn(f"{before[0].strftime('%Y-%m-%d %H:%M')} UTC → ", note)
        # the first plan arriving late, and the re-plan again, change nothing
        late = dict(planned, event_id="late-plan")
        again = dict(replan, event_id="replan-again")
        same_later = dict(replan, event_id="replan-same", sequence=replan["sequence"] + 1)
        events = self._ingest(late, again, same_later, endpoint=self.tms)
        self._process_pending(self.tms)
        self.assertEqual(set(events.mapped("state")), {"superseded"})
        self.assertEqual(release.planned_pickup_start, start)
        self.assertEqual(release.load_ref, "LOAD-REPLAN")
        self.assertEqual(len(_messages(picking)), messages + 1)

    def test_a_replan_in_the_past_is_a_dead_letter(self):
        picking, release, planned = self._planned()
        delivery = release.planned_delivery_end
        past = dict(
            planned,
            event_id="replan-past",
            sequence=planned["sequence"] + 5,
            planned_pickup={"start": "2020-01-01T08:00:00Z", "end": "2020-01-01T12:00:00Z"},
            planned_delivery={"start": "2020-01-02T08:00:00Z", "end": "2020-01-02T12:00:00Z"},
        )
        [event] = self._ingest(past, endpoint=self.tms)
        self._process_pending(self.tms)
        self.assertEqual(event.state, "dead")
        self.assertIn("in the past", event.last_error)
        self.assertEqual(release.planned_delivery_end, delivery)

    def test_an_answer_signed_by_another_endpoint_is_a_dead_letter(self):
        other = self.env["logistics.endpoint"].create(
            {"name": "Other TMS", "code": "other-tms", "kind": "tms"}
        )
        picking, release = self._released()
        accepted = self.sim.advance(release.tms_ref)
        messages = len(_messages(picking))
        [event] = self._ingest(accepted, endpoint=other)
        self._process_pending(other)
        self.assertEqual(event.state, "dead")
        self.assertIn("the release belongs to another endpoint (Test TMS)", event.last_error)
        self.assertIn("Other TMS", event.last_error)
        self.assertEqual(release.state, "sent")
        self.assertEqual((release.answer_version, release.answer_rank), (0, 0))
        self.assertFalse(release.ack_alerted)
        self.assertEqual(len(_messages(picking)), messages)
        # the same answer signed by the release's own TMS is applied
        [event] = self._ingest(accepted, endpoint=self.tms)
        self._process_pending(self.tms)
        self.assertEqual(event.state, "applied")
        self.assertEqual(release.state, "accepted")

    def test_deadline_activity_for_a_responsible_group(self):
        group = self.env["res.groups"].create({"name": "TMS desk"})
        away = new_test_user(
            self.env, login="ls_aaron", name="Aaron Away", groups="base.group_user"
        )
        desk = new_test_user(self.env, login="ls_desk", name="Desk Agent", groups="base.group_user")
        group.users = away | desk
        away.active = False
        self.tms.write({"responsible_user_id": False, "responsible_group_id": group.id})
        picking, release = self._released()
        with freeze_time(fields.Datetime.now() + timedelta(minutes=31)):
            self.assertEqual(self.env["logistics.tms.release"]._cron_tms_ack_timeout(), 1)
        self.assertTrue(release.exception)
        self.assertEqual(_activities(picking).user_id, desk)
        self.assertFalse(self.tms.cron_errors)


@tagged("post_install", "-at_install")
class TestDeadlineCronIsolation(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms()
        cls.second = cls.tms.copy({"name": "Second TMS", "code": "second-tms", "auth_token": TOKEN})

    def _late(self, endpoint):
        picking = self._tms_picking()
        with trap_jobs() as trap:
            release = picking._tms_create_releases(endpoint=endpoint)
            self._run_jobs_of(trap, endpoint)
        self.assertEqual(release.state, "sent")
        return picking, release

    def _run_jobs_of(self, trap, endpoint):
        for job in trap.enqueued_jobs:
            self.assertEqual(job.channel, endpoint.channel_name)
            job.perform()
        trap.enqueued_jobs = []

    def test_one_failing_endpoint_never_stops_the_others(self):
        broken_picking, broken = self._late(self.tms)
        picking, release = self._late(self.second)
        # the database refuses to mark the first endpoint's releases (as a full disk,
        # a broken trigger or a bad row would): a real failure, for this endpoint only
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "ALTER TABLE logistics_tms_release ADD CONSTRAINT lsync_test_broken"
                " CHECK (endpoint_id <> %s OR NOT ack_alerted) NOT VALID",
                self.tms.id,
            )
        )
        Release = self.env["logistics.tms.release"]
        later = fields.Datetime.now() + timedelta(minutes=31)
        with (
            freeze_time(later),
            mute_logger("odoo.sql_db"),  # "bad query": the refused write, expected
            self.assertLogs(CRON_LOG, "WARNING") as logs,
        ):
            self.assertEqual(Release._cron_tms_ack_timeout(), 1)
        self.assertIn("tms_ack_timeout failed for endpoint test-tms", logs.output[0])
        # the other endpoint was processed
        self.assertTrue(release.ack_alerted)
        self.assertEqual(_activities(picking).user_id, self.responsible)
        self.assertFalse(self.second.cron_errors)
        # the failing one: nothing half done, its error where an admin sees it
        self.assertFalse(broken.ack_alerted)
        self.assertFalse(broken.exception)
        self.assertFalse(_activities(broken_picking))
        self.assertEqual(list(self.tms.cron_errors), ["tms_ack_timeout"])
        self.assertIn("TMS answer deadline", self.tms.cron_error)
        self.assertIn("lsync_test_broken", self.tms.cron_error)
        notes = _messages(self.tms).filtered(lambda m: "TMS answer deadline" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        # the same failure at the next run: said once
        with (
            freeze_time(later),
            mute_logger("odoo.sql_db"),
            self.assertLogs(CRON_LOG, "WARNING"),
        ):
            self.assertEqual(Release._cron_tms_ack_timeout(), 0)
        notes = _messages(self.tms).filtered(lambda m: "TMS answer deadline" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        # repaired: processed at the next run, the error cleared
        self.env.cr.execute(
            SQL("ALTER TABLE logistics_tms_release DROP CONSTRAINT lsync_test_broken")
        )
        with freeze_time(later):
            self.assertEqual(Release._cron_tms_ack_timeout(), 1)
        self.assertTrue(broken.ack_alerted)
        self.assertEqual(len(_activities(broken_picking)), 1)
        self.assertFalse(self.tms.cron_errors)
        self.assertFalse(self.tms.cron_error)
        self.assertIn("works again", _messages(self.tms)[0].body)


@tagged("post_install", "-at_install")
class TestBatchRefusal(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms(trigger="batch")
        cls.manager = new_test_user(
            cls.env,
            login="ls_tms_manager",
            groups="logistics_sync_base.group_logistics_sync_manager",
        )

    def _sim_post(self, path, body, key):
        response = requests.post(
            f"{self.sim.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()

    def _window(self, at):
        with freeze_time(at), trap_jobs() as trap:
            self.env["logistics.endpoint"]._cron_tms_batch()
            self._run_jobs(trap)

    def test_a_release_refused_in_a_batch_waits_to_be_sent_again(self):
        refused_picking, picking = self._tms_picking(), self._tms_picking()
        # someone else already created a different shipment for the first transfer
        other = self._sim_post(
            "/tms/v1/shipments",
            {"release_id": refused_picking.name, "version": 1, "lines": []},
            "someone-else-1",
        )
        with trap_jobs() as trap:
            releases = (refused_picking | picking)._tms_create_releases()
            trap.assert_jobs_count(0)
        refused = releases.filtered(lambda r: r.picking_id == refused_picking)
        release = releases - refused
        now = fields.Datetime.now()
        self._window(now)
        self.assertEqual(release.state, "sent")
        self.assertEqual(refused.state, "queued")
        self.assertTrue(refused.exception)
        self.assertIn("shipment_exists", refused.exception_reason)
        self.assertEqual(len(_activities(refused_picking)), 1)
        requests_before = self.sim.stats()["requests"]
        # the next windows leave it alone: not sent, no second activity
        self._window(now + timedelta(minutes=16))
        self._window(now + timedelta(minutes=32))
        self.assertEqual(self.sim.stats()["requests"], requests_before)
        self.assertEqual(self.sim.stats()["batches"], 1)
        self.assertEqual(len(_activities(refused_picking)), 1)
        self.assertEqual(refused.state, "queued")
        # the other shipment is gone at the TMS; a manager sends the release again
        self._sim_post(
            f"/tms/v1/shipments/{other['shipment_id']}/cancel",
            {"release_id": refused_picking.name, "reason": "duplicate"},
            "someone-else-2",
        )
        with trap_jobs() as trap:
            refused.with_user(self.manager).action_tms_retry()
            trap.assert_jobs_count(1)
            self._run_jobs(trap)
        self.assertEqual(refused.state, "sent")
        self.assertFalse(refused.exception)
        self.assertTrue(refused.tms_ref)
        self.assertNotEqual(refused.tms_ref, other["shipment_id"])
        self.assertEqual(len(_activities(refused_picking)), 1)
        self.assertEqual(self._writes()[f"{refused_picking.name}:v1"], {"create": 2, "cancel": 1})
