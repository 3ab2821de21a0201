# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Which database errors are tried again (lib/dberrors.py), on errors PostgreSQL
really raises.  The job runner and the webhook use this one function; their
behaviour is tested through a real server (tests/test_live_job_connection.py,
tests/test_live_outage.py)."""

import psycopg2

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..controllers.queue_job import is_suite_job
from ..lib.dberrors import transient_db_error, transient_sqlstate
from odoo.addons.queue_job.job import Job


@tagged("post_install", "-at_install")
class TestDbErrors(TransactionCase):
    def _raised(self, query):
        with (
            self.assertRaises(psycopg2.Error) as caught,
            mute_logger("odoo.sql_db"),  # "bad query": expected here
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(query)
        return caught.exception

    def test_sqlstate_classes(self):
        transient = ("08006", "08003", "40001", "40P01", "53300", "57014", "57P01", "55P03")
        permanent = ("23505", "23503", "22007", "22008", "42P01", "55000", "55006", "XX000")
        self.assertEqual([transient_sqlstate(code) for code in transient], [True] * 8)
        self.assertEqual([transient_sqlstate(code) for code in permanent], [False] * 8)
        # no SQLSTATE: the connection broke before PostgreSQL answered
        self.assertTrue(transient_sqlstate(None))
        self.assertTrue(transient_sqlstate(""))

    def test_errors_postgresql_raises(self):
        timeout = self._raised("SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
        self.assertEqual(timeout.pgcode, "57014")
        self.assertTrue(transient_db_error(timeout))
        bad_date = self._raised("SELECT '2026-13-45'::date")
        self.assertEqual(bad_date.pgcode, "22008")
        self.assertFalse(transient_db_error(bad_date))
        self.assertIsInstance(bad_date, psycopg2.DataError)
        duplicate = self._raised(
            "CREATE TEMP TABLE t_dup (x int PRIMARY KEY); INSERT INTO t_dup VALUES (1), (1)"
        )
        self.assertEqual(duplicate.pgcode, "23505")
        self.assertFalse(transient_db_error(duplicate))
        # an OperationalError PostgreSQL answered with a permanent SQLSTATE is not tried
        # again: the code decides, not the class
        not_ready = self._raised(
            "CREATE TEMP SEQUENCE t_seq_dberrors; SELECT currval('t_seq_dberrors')"
        )
        self.assertEqual(not_ready.pgcode, "55000")
        self.assertIsInstance(not_ready, psycopg2.OperationalError)
        self.assertFalse(transient_db_error(not_ready))

    def test_lost_connection_without_code(self):
        lost = psycopg2.OperationalError(
            "server closed the connection unexpectedly\n\tThis probably means the server "
            "terminated abnormally"
        )
        self.assertIsNone(lost.pgcode)
        self.assertTrue(transient_db_error(lost))
        self.assertTrue(transient_db_error(psycopg2.InterfaceError("connection already closed")))
        # a driver error of another kind without a code is a bug, not an outage
        self.assertFalse(transient_db_error(psycopg2.ProgrammingError("no results to fetch")))
        # not a database error at all
        self.assertFalse(transient_db_error(ValueError("server closed the connection")))
        self.assertFalse(transient_db_error(RuntimeError()))

    def test_only_this_suites_jobs_are_retried_on_a_lost_connection(self):
        """The runner's override (controllers/queue_job.py) acts on jobs whose method a
        Logistics Sync addon defines, on any model; other jobs keep queue_job's way."""
        ours = [
            self.env["logistics.endpoint"]._job_process_pending,
            self.env["logistics.event"]._job_process,
        ]
        # the other addons' jobs, when installed (setup/test installs all five)
        for model, name in (
            ("logistics.endpoint", "_job_tms_batch"),  # logistics_sync_tms
            ("stock.picking", "_logistics_book_job"),  # logistics_sync_carrier
        ):
            if hasattr(self.env[model], name):
                ours.append(getattr(self.env[model], name))
        theirs = [
            self.env["res.partner"]._compute_display_name,
            self.env["queue.job"]._test_job,
        ]
        self.assertEqual([is_suite_job(Job(method)) for method in ours], [True] * len(ours))
        self.assertEqual([is_suite_job(Job(method)) for method in theirs], [False] * 2)
