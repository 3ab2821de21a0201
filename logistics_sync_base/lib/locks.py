"""Row locks for jobs that work on the same rows: concurrency errors as one exception."""

import psycopg2

from odoo.tools import SQL

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


def claim(cr, table, ids):
    """Serialise the jobs of these rows without blocking anyone else's save.

    A transaction-level advisory lock per row (keyed on the table and the id,
    released at commit or rollback) that no other job holds, else
    ``SnapshotConflict`` at once (the job tries again shortly); then ``FOR KEY
    SHARE`` on the rows, which only a concurrent delete waits for, and which raises
    a serialization failure (-> ``SnapshotConflict``) when another transaction
    changed them after this job's snapshot.  A user's UPDATE of these rows never
    waits for the job, even while it waits for an outbound call.

    ``table``: a table name of ours (a constant, never user input).
    """
    ids = sorted(set(ids))
    if not ids:
        return
    # pg_try_advisory_xact_lock never waits nor fails on a conflict (it answers
    # false): no savepoint needed, unlike the row lock below
    cr.execute(
        SQL(
            "SELECT bool_and(pg_try_advisory_xact_lock(%s::regclass::oid::int, id))"
            " FROM unnest(%s::int[]) AS id",
            table,
            ids,
        )
    )
    if not cr.fetchone()[0]:
        raise SnapshotConflict("advisory")
    locking(
        cr,
        SQL(
            "SELECT id FROM %s WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",
            SQL.identifier(table),
            ids,
        ),
    )
