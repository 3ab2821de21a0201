# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A job that loses its database connection is retried, not failed
(controllers/queue_job.py); real SQL errors still fail it."""

from unittest.mock import patch

import psycopg2

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..controllers.queue_job import RECONNECT_SECONDS, LogisticsRunJobController
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job


@tagged("post_install", "-at_install")
class TestJobConnectionLost(TransactionCase):
    def setUp(self):
        super().setUp()
        endpoint = self.env["logistics.endpoint"].create(
            {"name": "Connection lost", "code": "conn-lost", "kind": "tms"}
        )
        delayed = endpoint.with_delay(channel=endpoint.channel_name)._job_process_pending()
        self.job = Job.load(self.env, delayed.uuid)
        self.model = type(endpoint)

    def _perform(self, error):
        with patch.object(self.model, "_job_process_pending", side_effect=error, create=False):
            LogisticsRunJobController._try_perform_job(self.env, self.job)

    def test_lost_connection_is_retried(self):
        lost = psycopg2.OperationalError(
            "server closed the connection unexpectedly\n\tThis probably means the server "
            "terminated abnormally"
        )
        with self.assertRaises(RetryableJobError) as caught:
            self._perform(lost)
        self.assertEqual(caught.exception.seconds, RECONNECT_SECONDS)
        self.assertIn("database connection lost", str(caught.exception))
        self.assertIs(caught.exception.__cause__, lost)

    def test_closed_connection_is_retried(self):
        with self.assertRaises(RetryableJobError):
            self._perform(psycopg2.InterfaceError("connection already closed"))

    def test_sql_errors_still_fail(self):
        """An error PostgreSQL answered (it has a SQLSTATE: here a statement
        timeout, an ``OperationalError`` too) is not a lost connection."""
        with (
            self.assertRaises(psycopg2.OperationalError) as caught,
            mute_logger("odoo.sql_db"),  # "bad query": expected here
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute("SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
        self.assertEqual(caught.exception.pgcode, "57014")
        with self.assertRaises(psycopg2.OperationalError) as again:
            self._perform(caught.exception)
        self.assertIs(again.exception, caught.exception)
