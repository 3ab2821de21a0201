# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the live job tests (test_live_jobs*.py) share: a server of their own, and
checks made from connections of their own, never through Odoo.

A job that records its failure on a second connection while its own transaction
holds the row that write needs waits for itself: PostgreSQL cannot see it (the
job's backend is "idle in transaction", waiting for its own Python thread), the
worker hangs until ``limit_time_real``.  Odoo's test cursor runs everything on one
connection, so only a real server shows it.  The checks here:

- ``settle``: wait (bounded) for a condition on the database, failing at once when
  a backend of the test database waits for a lock held by a backend "idle in
  transaction" (the hang, or a row lock held across an outbound call);
- ``assert_no_idle_in_transaction``: no backend left in a transaction;
- ``assert_writable``: a user's UPDATE of the locked records goes through (with a
  ``lock_timeout``: a hang detector, not a timing assertion);
- ``unstick``: after a test, end the hung transactions it left and cancel its
  jobs, so that one hang does not spill over into the next test.
"""

import contextlib
import json
import threading
import time
import uuid
import xmlrpc.client
from datetime import UTC, datetime

import psycopg2
import requests
from conftest import server_log_errors
from standardwebhooks.webhooks import Webhook

# A user's save is "held up" when it waits longer than this on a lock.
HELD_UP_SECONDS = 8
# How long a test waits for a job to end before calling it hung.
SETTLE_SECONDS = 150


@contextlib.contextmanager
def watching(server):
    """A ``Watch`` for one test; at its end, the test's hung transactions and jobs
    are ended (``unstick``) and its endpoints archived (no cron of a later test
    queues work for them)."""
    watch = Watch(server)
    watch.channels, watch.endpoints = [], []
    try:
        yield watch
    finally:
        try:
            unstick(watch, watch.channels)
            if watch.endpoints:
                server.call("logistics.endpoint", "write", watch.endpoints, {"active": False})
        finally:
            watch.close()


def prepare_server(server):
    """The live server of the session (conftest.odoo_server), allowed to call the
    simulators on 127.0.0.1."""
    server.call("ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True")
    return server


def failed_job_allowance(message):
    """The ERROR records of a job that fails on purpose (its last attempt):
    queue_job's traceback and Odoo's, ending with ``FailedJobError: <message>``, and
    the runner's note of the 500 its dispatch got.  ``message``: a regex."""
    end = r"FailedJobError: " + message + r"[^\n]*\Z"
    return (
        r"odoo\.addons\.queue_job\.controllers\.main: Traceback[\s\S]*" + end,
        r"odoo\.http: Exception during request handling\.[\s\S]*" + end,
        r"queue_job\.jobrunner\.runner: exception in GET \S*/queue_job/runjob\?",
    )


# ------------------------------------------------------------------ database side
class Watch:
    """An autocommit connection of the test's own to the test database."""

    def __init__(self, server):
        self.server = server
        self.conn = server.pg_connect()
        self.conn.autocommit = True
        with self.conn.cursor() as cr:
            cr.execute("SET statement_timeout = '20s'")

    def close(self):
        self.conn.close()

    def rows(self, query, *args):
        with self.conn.cursor() as cr:
            cr.execute(query, args)
            return cr.fetchall()

    def one(self, query, *args):
        rows = self.rows(query, *args)
        return rows[0] if rows else None

    # the hang -------------------------------------------------------------------
    def lock_waits(self, seconds=HELD_UP_SECONDS):
        """Backends waiting more than ``seconds`` for a lock that a backend "idle in
        transaction" holds: ``[(waiting pid, its query, holder pid, holder's last
        query, seconds waited)]``."""
        return self.rows(
            """SELECT w.pid, left(w.query, 300), b.pid, left(b.query, 300),
                      round(extract(epoch FROM now() - w.query_start))
                 FROM pg_stat_activity w
                 CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS h(pid)
                 JOIN pg_stat_activity b ON b.pid = h.pid
                WHERE w.datname = current_database() AND w.wait_event_type = 'Lock'
                  AND b.state LIKE 'idle in transaction%%'
                  AND w.pid <> pg_backend_pid()
                  AND now() - w.query_start > make_interval(secs => %s)""",
            seconds,
        )

    def idle_in_transaction(self, seconds=5):
        """Backends of the test database idle in a transaction for over ``seconds``,
        with the locks they hold: ``[(pid, seconds, last query, locks)]``."""
        return self.rows(
            """SELECT a.pid, round(extract(epoch FROM now() - a.state_change)),
                      left(a.query, 300),
                      (SELECT string_agg(DISTINCT coalesce(l.relation::regclass::text,
                                                           l.locktype) || ' ' || l.mode, ', ')
                         FROM pg_locks l WHERE l.pid = a.pid AND l.granted
                          AND l.locktype <> 'virtualxid')
                 FROM pg_stat_activity a
                WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                  AND a.state LIKE 'idle in transaction%%'
                  AND now() - a.state_change > make_interval(secs => %s)
                  -- Odoo's cron thread keeps the row of the cron it runs locked in a
                  -- transaction of its own: not a job's
                  AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                               WHERE l.pid = a.pid AND l.granted
                                 AND l.mode IN ('RowShareLock', 'RowExclusiveLock')
                                 AND c.relname NOT LIKE 'ir\\_cron%%')""",
            seconds,
        )

    def jobs(self, channel, method=None):
        """The queue jobs of ``channel``: dicts with uuid, method, state, retry,
        max_retries, eta_in (seconds from now, or None), result, exc_info."""
        rows = self.rows(
            """SELECT uuid, method_name, state, retry, max_retries,
                      extract(epoch FROM eta - (now() AT TIME ZONE 'UTC')), result,
                      left(exc_info, 2000), exc_message
                 FROM queue_job WHERE channel = %s AND (%s IS NULL OR method_name = %s)
             ORDER BY id""",
            channel,
            method,
            method,
        )
        keys = ("uuid", "method", "state", "retry", "max_retries", "eta_in", "result")
        keys += ("exc_info", "exc_message")
        return [dict(zip(keys, row, strict=True)) for row in rows]


def settle(watch, predicate, message, timeout=SETTLE_SECONDS, interval=0.5):
    """Wait for ``predicate()`` to be true (its value is returned); fail at once
    when a backend waits on a lock held by a transaction left idle (the hang), and
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        waits = watch.lock_waits()
        if waits:
            raise AssertionError(
                f"hung while waiting for {message}: a backend waits on a lock held by a "
                f"transaction left idle in transaction: {describe_waits(waits)}"
            )
        if time.monotonic() > deadline:
            idle = watch.idle_in_transaction()
            raise AssertionError(
                f"timed out after {timeout}s waiting for {message}"
                + (f"; idle in transaction: {idle}" if idle else "")
            )
        time.sleep(interval)


def describe_waits(waits):
    return "; ".join(
        f"pid {pid} waiting {seconds}s on [{query}] held by pid {holder} idle in "
        f"transaction after [{holder_query}]"
        for pid, query, holder, holder_query, seconds in waits
    )


def assert_no_idle_in_transaction(watch):
    idle = watch.idle_in_transaction()
    assert not idle, f"backends left idle in transaction (pid, s, query, locks): {idle}"


def assert_writable(server, table, ids, lock_timeout=HELD_UP_SECONDS):
    """A user's save of these rows goes through: an UPDATE from a connection of
    our own with a ``lock_timeout`` (rolled back)."""
    conn = server.pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SET lock_timeout = %s", (f"{lock_timeout}s",))
            try:
                cr.execute(
                    f"UPDATE {table} SET write_date = write_date WHERE id = ANY(%s)",  # noqa: S608 - a test's own table names
                    (list(ids),),
                )
            except psycopg2.errors.LockNotAvailable as exc:
                waits = Watch(server)
                try:
                    idle = waits.idle_in_transaction(0)
                finally:
                    waits.close()
                raise AssertionError(
                    f"{table} {list(ids)} not writable by a user: its row is locked "
                    f"({exc.pgerror.strip()}); idle in transaction: {idle}"
                ) from None
    finally:
        conn.rollback()
        conn.close()


def unstick(watch, channels):
    """After a test: end the transactions it left hanging (they block everyone
    else), then cancel its unfinished jobs (a hung job would run again)."""
    # A hung job whose transaction is ended fails, is postponed by the runner and
    # runs again: cancel, end, until nothing of the test runs any more (bounded).
    # The errors the ended transactions log are this cleanup's, not the next test's
    # (the test failed already: it hung).
    quiet, ended = 0, 0
    for _round in range(30):
        watch.rows(
            "UPDATE queue_job SET state = 'cancelled' WHERE channel = ANY(%s)"
            " AND state IN ('pending', 'enqueued', 'wait_dependencies') RETURNING id",
            list(channels),
        )
        holders = {holder for _pid, _q, holder, _hq, _s in watch.lock_waits(0)}
        holders |= {row[0] for row in watch.idle_in_transaction(15)}
        for pid in holders:
            watch.rows("SELECT pg_terminate_backend(%s)", pid)
        ended += len(holders)
        started = watch.rows(
            "SELECT count(*) FROM queue_job WHERE channel = ANY(%s) AND state = 'started'",
            list(channels),
        )[0][0]
        quiet = quiet + 1 if not holders and not started else 0
        if quiet >= 2:
            break
        time.sleep(1)
    if ended:
        time.sleep(1)
        server_log_errors(allowed=("",))


def job_settled(job):
    """A job that ended, or waits for its retry (pending, eta in the future)."""
    if job["state"] in ("done", "failed", "cancelled"):
        return True
    return job["state"] == "pending" and (job["eta_in"] or 0) > 0


# ------------------------------------------------------------------ Odoo side
def create_endpoint(server, watch, code, **values):
    """A new endpoint (every test its own: its own channel), watched by ``watch``;
    returns (id, channel)."""
    endpoint_id = server.call(
        "logistics.endpoint", "create", {"name": f"Live {code}", "code": code, **values}
    )
    channel = f"root.logistics_sync.{code}"
    watch.channels.append(channel)
    watch.endpoints.append(endpoint_id)
    return endpoint_id, channel


def unique_code(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def xmlid(server, name):
    """The id of the record of xml id ``name`` ("module.name")."""
    module, _dot, local = name.partition(".")
    [row] = server.call(
        "ir.model.data", "search_read", [("module", "=", module), ("name", "=", local)], ["res_id"]
    )
    return row["res_id"]


def make_user(server, login, *groups):
    """An internal user in ``groups`` only (xml ids), password = login."""
    group_ids = [xmlid(server, group) for group in groups]
    user_id = server.call(
        "res.users",
        "create",
        {"name": login, "login": login, "password": login, "groups_id": [(6, 0, group_ids)]},
    )
    return user_id


class UserRpc:
    """XML-RPC as a given user, each call with its own connection and a timeout."""

    def __init__(self, server, login, password=None, timeout=60):
        self.server, self.login, self.timeout = server, login, timeout
        self.password = password or login
        common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
        self.uid = common.authenticate(server.db, login, self.password, {})
        assert self.uid, f"{login} cannot log in"

    def call(self, model, method, *args, **kwargs):
        transport = _TimeoutTransport(self.timeout)
        proxy = xmlrpc.client.ServerProxy(
            f"{self.server.url}/xmlrpc/2/object", allow_none=True, transport=transport
        )
        return proxy.execute_kw(
            self.server.db, self.uid, self.password, model, method, list(args), kwargs
        )


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def in_thread(func, *args):
    """Run ``func(*args)`` in a thread; returns (thread, box): box["result"] or
    box["error"] once it ended, box["ended"] the monotonic time it did."""
    box = {}

    def run():
        try:
            box["result"] = func(*args)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
        box["ended"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def outgoing_transfer(server, partner_id, product_id, carrier_id=False, validate=False):
    """A confirmed outgoing transfer of one unit (validated when ``validate``)."""
    [warehouse] = server.call(
        "stock.warehouse", "search_read", [], ["out_type_id", "lot_stock_id"], limit=1
    )
    stock = warehouse["lot_stock_id"][0]
    customers = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)[0]
    picking_id = server.call(
        "stock.picking",
        "create",
        {
            "picking_type_id": warehouse["out_type_id"][0],
            "partner_id": partner_id,
            "location_id": stock,
            "location_dest_id": customers,
            "carrier_id": carrier_id,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "name": "Live job crate",
                        "product_id": product_id,
                        "product_uom_qty": 1,
                        "location_id": stock,
                        "location_dest_id": customers,
                    },
                )
            ],
        },
    )
    server.call("stock.picking", "action_confirm", [picking_id])
    if validate:
        move_ids = server.call("stock.move", "search", [("picking_id", "=", picking_id)])
        server.call("stock.move", "write", move_ids, {"quantity": 1, "picked": True})
        assert server.call("stock.picking", "button_validate", [picking_id]) is True
    return picking_id


def run_cron(server, name):
    """Run a cron now (as its "Run manually" button does): it queues the jobs, the
    runner performs them."""
    server.call("ir.cron", "method_direct_trigger", [xmlid(server, name)])


def sim_post(url, path, body):
    response = requests.post(f"{url}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def sim_stats(url):
    return requests.get(f"{url}/_sim/stats", timeout=10).json()


def post_event(server, code, secret, event):
    body = json.dumps(event)
    timestamp = datetime.now(tz=UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": event["event_id"],
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(event["event_id"], timestamp, body),
    }
    return requests.post(
        f"{server.url}/logistics_sync/v1/events/{code}", data=body, headers=headers, timeout=60
    )
