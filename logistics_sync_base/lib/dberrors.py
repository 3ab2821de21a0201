"""Which database errors are worth trying again, decided by SQLSTATE in one place.

Used by the job runner's override (controllers/queue_job.py: retry the job) and by
the webhook (models/ir_http.py and hooks.py: answer 503 with Retry-After), so a
sender and a job see the same classification.

Transient: the connection broke (class 08, or no SQLSTATE at all: the server went
away before answering), a transaction conflict (class 40: serialization failure,
deadlock), the server is short of resources (class 53), an operator or the server
stopped the statement (class 57: query cancelled, admin or crash shutdown, cannot
connect now), a lock not available (55P03).  Anything else PostgreSQL answered (a
constraint, bad data, a bug in a query) is permanent: trying again gives the same
answer.
"""

import psycopg2

TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57"})
TRANSIENT_CODES = frozenset({"55P03"})


def transient_sqlstate(sqlstate):
    """Whether an error with this SQLSTATE (None or "" when the error carried none:
    the connection broke before PostgreSQL answered) may succeed when tried again."""
    if not sqlstate:
        return True
    return sqlstate[:2] in TRANSIENT_CLASSES or sqlstate in TRANSIENT_CODES


def transient_db_error(exc):
    """Whether ``exc`` is a database error worth trying again.

    Only the driver's errors are classified (an error of our own code never is), by
    their SQLSTATE.  Without one, only a connection-level error counts (the driver's
    ``OperationalError`` or ``InterfaceError``: "server closed the connection",
    "connection already closed"); a driver error of another kind without a SQLSTATE
    (e.g. "no results to fetch") is a bug, not an outage.
    """
    if not isinstance(exc, psycopg2.Error):
        return False
    if exc.pgcode:
        return transient_sqlstate(exc.pgcode)
    return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)
