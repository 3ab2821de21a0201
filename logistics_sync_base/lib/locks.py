"""Row locks for jobs that work on the same rows: concurrency errors as one exception."""

import psycopg2

# serialization failure, deadlock, lock not available
CONFLICT_CODES = ("40001", "40P01", "55P03")


class SnapshotConflict(Exception):
    """Another job changed the rows this job wants after its snapshot was taken.

    Left to queue_job, such a serialization failure is postponed by 5 seconds; the
    job methods raise ``RetryableJobError(seconds=CONFLICT_RETRY_SECONDS,
    ignore_retry=True)`` instead: the job runs again shortly, in a new transaction
    that sees the other job's work, without counting an attempt.
    """


# Measured with bench/pipeline against re-queuing a fresh job at once (README).
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
