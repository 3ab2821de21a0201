# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The one helper for "record the failure outside the job's transaction, then retry
or fail" (``jobs.py``): the job's own locks are released first, the second
connection has a lock timeout, and ``lib.locks.claim`` serialises jobs without
making a user's save wait.

Two kinds of tests: in test mode (the second connection shares the test's, as for
every job test), and on real second connections against rows committed in the
database (the lock order itself, as PostgreSQL sees it)."""

import uuid
from datetime import date
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from .. import jobs
from ..jobs import Fail, Retry, record_outside, run_job
from ..lib.locks import SnapshotConflict, claim
from .common import LogisticsCommon, event
from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

EVENT_LOGGER = "odoo.addons.logistics_sync_base.models.logistics_event_processing"


@tagged("post_install", "-at_install")
class TestRunJob(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()

    def _lock_picking(self):
        self.env.cr.execute(
            SQL("SELECT id FROM stock_picking WHERE id = %s FOR NO KEY UPDATE", self.picking.id)
        )

    def test_failure_recorded_after_the_attempt_is_rolled_back_then_retried(self):
        seen = {}

        def work():
            self._lock_picking()
            self.picking.write({"origin": "attempt"})
            raise ConnectionError("TMS hiccup")

        def on_error(exc):
            self.assertIsInstance(exc, ConnectionError)

            def record(env):
                picking = env["stock.picking"].browse(self.picking.id)
                seen["origin"] = picking.origin
                picking.write({"note": "recorded outside"})
                return Retry("TMS hiccup", 7)

            return record

        try:
            run_job(self.env, work, on_error)
        except RetryableJobError as exc:
            caught = exc
        self.assertEqual((caught.seconds, caught.ignore_retry), (7, False))
        self.assertEqual(seen, {"origin": False}, "the attempt was undone first")
        self.assertEqual(str(self.picking.note), "<p>recorded outside</p>")
        self.assertFalse(self.picking.origin)

    def test_fail_ends_the_job_and_a_result_is_returned(self):
        def boom():
            raise ValueError("no")

        try:
            run_job(self.env, boom, lambda exc: lambda env: Fail(f"gave up: {exc}"))
        except FailedJobError as exc:
            self.assertEqual(str(exc), "gave up: no")
        else:
            self.fail("FailedJobError expected")
        self.assertEqual(
            run_job(self.env, boom, lambda exc: lambda env: "dead letter"), "dead letter"
        )
        self.assertEqual(run_job(self.env, lambda: "done", lambda exc: None), "done")
        with self.assertRaises(RetryableJobError) as caught:
            run_job(self.env, boom, lambda exc: lambda env: Retry("later", None, ignore_retry=True))
        self.assertIsNone(caught.exception.seconds, "queue_job's retry pattern")
        self.assertTrue(caught.exception.ignore_retry)

    def test_errors_not_sorted_go_to_queue_job(self):
        def boom():
            raise KeyError("bug")

        with self.assertRaises(KeyError):
            run_job(self.env, boom, lambda exc: None)

        def conflict():
            raise SnapshotConflict("40001")

        with self.assertRaises(RetryableJobError) as caught:
            run_job(self.env, conflict, lambda exc: None)
        self.assertTrue(caught.exception.ignore_retry, "another job's work is not an attempt")

    @mute_logger(EVENT_LOGGER)
    def test_a_value_the_event_can_never_use_is_a_dead_letter_at_once(self):
        """Must 4: a ValueError / TypeError on the payload's values is met again on
        every attempt: a dead letter at once with the reason, no retry job."""
        bad = self._ingest(event("val-1", self.picking.name, "picked_up", 1))
        Picking = type(self.env["stock.picking"])

        def apply_fails(picking, evt):
            date.fromisoformat("2026-13-45")

        with patch.object(Picking, "_logistics_apply", apply_fails), trap_jobs() as trap:
            self._process_pending()
            trap.assert_jobs_count(0)
        self.assertEqual((bad.state, bad.attempts), ("dead", 1))
        self.assertIn("month must be in 1..12", bad.last_error)
        self.assertFalse(self.picking.logistics_milestone)


@tagged("post_install", "-at_install")
class TestLockOrderOnRealConnections(TransactionCase):
    """No test mode here: ``registry.cursor()`` is a real second connection, and the
    row used is one committed in the database (a country), which it can see."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.country = cls.env.ref("base.be")

    def setUp(self):
        super().setUp()
        self.assertIsNone(self.registry.test_cr, "real second connections needed")

    def _probe(self, env, timeout="2s"):
        """On the second connection: may this row be updated now?"""
        env.cr.execute(SQL("SET LOCAL lock_timeout = %s", timeout))
        env.cr.execute(
            SQL("SELECT id FROM res_country WHERE id = %s FOR NO KEY UPDATE", self.country.id)
        )
        return env.cr.fetchone()[0]

    def _lock(self):
        self.env.cr.execute(
            SQL("SELECT id FROM res_country WHERE id = %s FOR NO KEY UPDATE", self.country.id)
        )

    def test_second_connection_writes_what_the_failed_attempt_locked(self):
        def work():
            self._lock()
            raise ConnectionError("carrier down")

        def on_error(exc):
            def record(env):
                return Retry(f"probe {self._probe(env)}", 3)

            return record

        with self.assertRaises(RetryableJobError) as caught:
            run_job(self.env, work, on_error)
        self.assertEqual(str(caught.exception), f"probe {self.country.id}")

    @mute_logger("odoo.sql_db")
    def test_lock_timeout_is_the_safety_net(self):
        """Had the job kept its lock, the second connection would give up (55P03,
        retried by queue_job), never wait forever."""
        self._lock()
        with self.assertRaises(psycopg2.errors.LockNotAvailable):
            record_outside(self.env, lambda env: self._probe(env, "100ms"))
        self.assertEqual(
            record_outside(
                self.env, lambda env: env.cr.execute("SHOW lock_timeout") or env.cr.fetchone()[0]
            ),
            f"{jobs.OUTSIDE_LOCK_TIMEOUT_MS // 1000}s",
        )

    def test_claim_serialises_jobs_but_never_a_users_save(self):
        claim(self.env.cr, "res_country", self.country.ids)
        with self.registry.cursor() as other:
            other.execute(
                SQL(
                    "SELECT pg_try_advisory_xact_lock('res_country'::regclass::oid::int, %s)",
                    self.country.id,
                )
            )
            self.assertFalse(other.fetchone()[0], "another job of the row steps back")
            other.execute("SET LOCAL lock_timeout = '2s'")
            other.execute(SQL("UPDATE res_country SET name = name WHERE id = %s", self.country.id))
            self.assertEqual(other.rowcount, 1, "a user's save does not wait")
            other.rollback()

    @mute_logger(EVENT_LOGGER)
    def test_event_retry_job_never_waits_on_its_own_transfer(self):
        """The issue's hang, on real connections: an event's retry job locks its
        transfer; its failure, recorded on a second connection, recomputes the
        transfer's stored sync state (an UPDATE of that row).  Recorded after the
        attempt's savepoint is rolled back, it does not wait (before: it waited for
        the job, which waited for it, for ever)."""
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            endpoint = env["logistics.endpoint"].create(
                {"name": f"Lock order {suffix}", "code": f"lock-order-{suffix}", "kind": "carrier"}
            )
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            picking = env["stock.picking"].create(
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": env.ref("stock.stock_location_customers").id,
                }
            )
            status, _body = env["logistics.event"]._ingest(
                endpoint, [event(f"lock-{suffix}", picking.name, "picked_up", 1)]
            )
            self.assertEqual(status, 202)
            flaky = env["logistics.event"].search([("endpoint_id", "=", endpoint.id)])
            flaky.write({"state": "failed", "attempts": 1})  # as its batch left it
            # no job of this test's records runs on its own
            env["queue.job"].search([("channel", "=", endpoint.channel_name)]).unlink()
            ids = {"endpoint": endpoint.id, "picking": picking.id, "event": flaky.id}
        self.addCleanup(self._drop, ids)

        def apply_fails(picking, evt):
            raise ConnectionError("TMS hiccup")

        Picking = type(self.env["stock.picking"])
        with patch.object(Picking, "_logistics_apply", apply_fails):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                with self.assertRaises(RetryableJobError) as caught:
                    env["logistics.event"].browse(ids["event"])._job_process()
                cr.rollback()  # as queue_job does with a job that raised
        self.assertGreaterEqual(caught.exception.seconds, 1)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            flaky = env["logistics.event"].browse(ids["event"])
            self.assertEqual((flaky.state, flaky.attempts), ("failed", 2))
            self.assertIn("TMS hiccup", flaky.last_error)
            picking = env["stock.picking"].browse(ids["picking"])
            self.assertEqual(picking.logistics_sync_state, "error")

    def _drop(self, ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["logistics.event"].browse(ids["event"]).unlink()
            picking = env["stock.picking"].browse(ids["picking"])
            picking.move_ids.unlink()
            picking.unlink()
            endpoint = env["logistics.endpoint"].browse(ids["endpoint"])
            env["queue.job"].search([("channel", "=", endpoint.channel_name)]).unlink()
            endpoint.unlink()
