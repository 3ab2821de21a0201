# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A job whose database connection is lost (PostgreSQL restarts, a failover) is
retried, not failed.

queue_job postpones a job on PostgreSQL's concurrency errors and marks it failed on
any other ``OperationalError``: a release or booking job that was waiting on a slow
TMS or carrier while PostgreSQL restarted would end "failed" although nothing of it
was committed.  A lost connection has no SQLSTATE (``pgcode`` is None): that case
becomes a ``RetryableJobError``, which queue_job postpones through a new cursor (the
jobs are written to be run again: idempotency keys, row locks, state checks).
"""

import psycopg2

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.exception import RetryableJobError

RECONNECT_SECONDS = 5


class LogisticsRunJobController(RunJobController):
    @classmethod
    def _try_perform_job(cls, env, job):
        try:
            return super()._try_perform_job(env, job)
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
            if getattr(err, "pgcode", None):
                raise  # a real SQL error, or a concurrency error queue_job handles
            raise RetryableJobError(
                f"database connection lost: {err}".strip(), seconds=RECONNECT_SECONDS
            ) from err
