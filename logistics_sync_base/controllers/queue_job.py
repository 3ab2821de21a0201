# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A job of this suite whose database fails transiently (PostgreSQL restarts, a
failover, a conflict) is tried again, up to its ``max_retries``; it is not failed at
once, and it never runs again after its work was committed.

queue_job postpones a job on three concurrency SQLSTATEs and marks it failed on any
other database error: a release or booking job that was waiting on a slow TMS or
carrier while PostgreSQL restarted would end "failed" although nothing of it was
committed.  Here, for the jobs of the Logistics Sync addons only:

- an error classified transient by SQLSTATE (``lib/dberrors.py``, the webhook's 503
  uses the same function) raised while the job runs, or while its work and its
  "done" state are flushed, becomes a ``RetryableJobError`` (the job function's
  retry pattern, or 5 seconds), or a ``FailedJobError`` once the job has used its
  ``max_retries`` attempts, exactly as a ``RetryableJobError`` raised by the job
  itself.  Nothing of the job was committed then: running it again is safe.
- an error while the transaction COMMITs is never retried blindly: the commit may
  have happened on the server.  The database decides: the job row is read again on a
  fresh connection (waiting for the broken transaction to end): "done" means the
  work is committed and the job ends there; "started" means nothing was committed
  and the job is tried again as above; when it cannot be read the job stays
  "started" for queue_job's dead-job requeuer (as after a worker that died).

Other jobs and other errors keep queue_job's behaviour.
"""

import logging

import psycopg2

from odoo.modules.registry import Registry

from ..lib.dberrors import transient_db_error
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.job import STARTED

_logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 5  # when the job function has no retry pattern
SUITE_PREFIX = "odoo.addons.logistics_sync_"
OUTCOME_LOCK_TIMEOUT = "30s"  # how long the outcome check waits for the broken transaction


def is_suite_job(job):
    """Whether the job's method is defined by a Logistics Sync addon."""
    method = getattr(type(job.recordset), job.method_name, None)
    return (getattr(method, "__module__", None) or "").startswith(SUITE_PREFIX)


class LogisticsRunJobController(RunJobController):
    @classmethod
    def _try_perform_job(cls, env, job):
        if not is_suite_job(job):
            return super()._try_perform_job(env, job)
        cr = env.cr
        original_commit = cr.commit
        committing = []

        def commit():
            committing.append(True)
            return original_commit()

        cr.commit = commit
        try:
            return super()._try_perform_job(env, job)
        except psycopg2.Error as err:
            if not transient_db_error(err):
                raise
            if committing:
                state = cls._state_after_commit(env, job, err)
                if state != STARTED:
                    return None  # committed ("done"), or unknown: never run it blindly
            raise cls._try_again(job, err) from err
        finally:
            cr.commit = original_commit

    @classmethod
    def _runjob(cls, env, job):
        try:
            return super()._runjob(env, job)
        except psycopg2.InterfaceError:
            # queue_job rolls back the job's cursor after postponing it (on a cursor
            # of its own): that connection is the one that broke.  The job is handled.
            if not (env.cr.closed and is_suite_job(job)):
                raise
            _logger.info("%s: its database connection was lost; handled", job)
            return None

    @staticmethod
    def _try_again(job, err):
        """The exception queue_job turns into a retry, or a failure at max_retries."""
        reason = f"database error, tried again: {err.pgcode or 'connection lost'}"
        if job.max_retries and job.retry >= job.max_retries:
            return FailedJobError(f"Max. retries ({job.max_retries}) reached: {reason}")
        seconds = None if job.job_config.retry_pattern else RECONNECT_SECONDS
        return RetryableJobError(reason, seconds=seconds)

    @staticmethod
    def _state_after_commit(env, job, err):
        """The job's state once the transaction whose COMMIT raised ``err`` has ended,
        read on a fresh connection; None when the database cannot say (the job is then
        left "started": queue_job's dead-job requeuer runs it again later, as for a
        worker that died)."""
        try:
            with Registry(env.cr.dbname).cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = %s", (OUTCOME_LOCK_TIMEOUT,))
                try:
                    # wait for the broken transaction to end (it holds the job's row)
                    cr.execute(
                        "SELECT 1 FROM queue_job WHERE uuid = %s FOR UPDATE",
                        (job.uuid,),
                        log_exceptions=False,
                    )
                except psycopg2.errors.SerializationFailure:
                    pass  # it ended by committing a change of the row: read it below
                cr.rollback()  # a new snapshot, which sees how it ended
                cr.execute("SELECT state FROM queue_job WHERE uuid = %s", (job.uuid,))
                row = cr.fetchone()
        except psycopg2.Error as check_err:
            _logger.warning(
                "%s: COMMIT interrupted (%s); its outcome cannot be read (%s)",
                job,
                err.pgcode or "connection lost",
                check_err.pgcode or "connection lost",
            )
            return None
        state = row[0] if row else None
        _logger.info(
            "%s: COMMIT interrupted (%s); the job is %s",
            job,
            err.pgcode or "connection lost",
            state,
        )
        return state
