"""Row locks for jobs that work on the same rows: concurrency errors as one exception."""

import psycopg2

# serialization failure, deadlock, lock not available
CONFLICT_CODES = ("40001", "40P01", "55P03")


class SnapshotConflict(Exception):
    """Another job changed the rows this job wants after its snapshot was taken.

    Left to queue_job, such a serialization failure is postponed by 5 seconds.
    Event processing jobs queue a fresh job at once instead (a new transaction sees
    the other job's work): bench/pipeline measured it faster than
    ``RetryableJobError(seconds=CONFLICT_RETRY_SECONDS)`` (README).  Booking jobs,
    which are not about throughput, raise that (``ignore_retry``: not an attempt).
    """


CONFLICT_RETRY_SECONDS = 1


def locking(cr, query):
    """Run a locking query in a savepoint; a concurrency error -> SnapshotConflict."""
    try:
        with cr.savepoint(flush=False):
            cr.execute(query, log_exceptions=False)
            return cr.fetchall()
    except psycopg2.OperationalError as exc:
        if exc.pgcode in CONFLICT_CODES:
            raise SnapshotConflict(exc.pgcode) from None
        raise
