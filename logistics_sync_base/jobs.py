# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Jobs that record a failure outside their own transaction, then retry or fail.

Raising from a queue_job job rolls its transaction back, so what must survive the
attempt (attempts, the error, the next try, the request in flight) is written on a
second connection.  That connection must never wait for locks the job itself
holds: PostgreSQL cannot see such a deadlock (the job's side is "idle in
transaction") and the worker hangs until ``limit_time_real`` kills it.  So, in
this one place, for every job of the suite:

1. the job's work runs in a savepoint this helper owns (``run_job``);
2. when it fails, ``on_error(exc)`` sorts the error: ``None`` lets it go to
   queue_job unchanged; else it returns ``record(env)``, the bookkeeping;
3. the savepoint is rolled back first: every row lock the attempt took is
   released (PostgreSQL releases row locks taken after a savepoint on rollback);
4. ``record`` runs on a second connection (``record_outside``, superuser, with a
   ``lock_timeout`` as a safety net: a lock still held makes it fail with
   SQLSTATE 55P03, which queue_job retries, instead of waiting forever);
5. what ``record`` returned decides the job's end: ``Retry`` raises
   ``RetryableJobError(seconds, ignore_retry)``, ``Fail`` raises
   ``FailedJobError`` (the final state and its reason are already stored),
   anything else is the job's result (a permanent failure recorded: done).

``record_outside`` is also the one way for a job to persist something at once in
the middle of its work (a booking the carrier made, a request about to go out)
without a lock of its own: see logistics_sync_base/readme/CONFIGURE.md.
Delays are computed by ``lib/retry.py``'s plain functions.
"""

import logging
from typing import NamedTuple

from odoo.tools import SQL

from .lib.locks import CONFLICT_RETRY_SECONDS, SnapshotConflict
from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError

_logger = logging.getLogger(__name__)

# how long the second connection may wait for a row lock (a user's save, another
# job's short transaction) before giving up; never for the job's own locks
OUTSIDE_LOCK_TIMEOUT_MS = 10_000


class Retry(NamedTuple):
    """Try again in ``seconds`` (None: the job function's retry pattern);
    ``ignore_retry``: not counted as an attempt."""

    message: str
    seconds: int
    ignore_retry: bool = False


class Fail(NamedTuple):
    """Give up: the job ends failed with ``message`` (its final state stored)."""

    message: str


def record_outside(env, record, lock_timeout_ms=OUTSIDE_LOCK_TIMEOUT_MS, invalidate=True):
    """Run ``record(env2)`` in a transaction of its own, committed at once; returns
    what ``record`` returned.

    ``env2``: superuser environment on a second connection (the pipeline's own
    bookkeeping, whoever queued the job), with the caller's context.  The caller
    must hold no row lock ``record`` writes (``run_job`` sees to it; a job that
    writes outside in the middle of its work writes those rows nowhere else); the
    lock timeout turns a forgotten one into an error (SQLSTATE 55P03, retried by
    queue_job) instead of a hang.  The caller's unflushed changes are not flushed
    first (that would lock their rows in its transaction).  ``invalidate``: the
    caller's cache is invalidated after, since its transaction does not see the new
    values (repeatable read); it must not write those rows again.
    """
    with env.registry.cursor() as cr:
        cr.execute(SQL("SET LOCAL lock_timeout = %s", f"{int(lock_timeout_ms)}ms"))
        outside = env(cr=cr, su=True)
        result = record(outside)
        outside.flush_all()
    if invalidate:
        env.invalidate_all()
    return result


def conclude(outcome, cause=None):
    """Raise what ``outcome`` asks for (``Retry``, ``Fail``), else return it."""
    if isinstance(outcome, Retry):
        raise RetryableJobError(
            outcome.message,
            # None: queue_job's retry pattern of the job function decides
            seconds=None if outcome.seconds is None else max(1, int(outcome.seconds)),
            ignore_retry=outcome.ignore_retry,
        ) from cause
    if isinstance(outcome, Fail):
        raise FailedJobError(outcome.message) from cause
    return outcome


def run_job(env, work, on_error):
    """``work()`` in a savepoint; on an error ``on_error`` sorts, the savepoint is
    rolled back (the attempt's locks released), then the failure is recorded on a
    second connection and the job retries, fails or ends (module docstring).

    A ``SnapshotConflict`` (another job of the same records ran meanwhile) that
    ``on_error`` does not take is retried in ``CONFLICT_RETRY_SECONDS``, not
    counted as an attempt.
    """
    try:
        with env.cr.savepoint():
            return work()
    except Exception as exc:  # noqa: BLE001 - sorted by on_error, else raised again
        # the savepoint is rolled back: the attempt's changes and locks are gone
        env.invalidate_all()
        record = on_error(exc)
        if record is None:
            if isinstance(exc, SnapshotConflict):
                raise RetryableJobError(
                    "another job of these records ran meanwhile",
                    seconds=CONFLICT_RETRY_SECONDS,
                    ignore_retry=True,
                ) from None
            raise
        return conclude(record_outside(env, record), exc)
