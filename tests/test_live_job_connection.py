# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A job of the suite losing its database connection, through the real queue_job
runner on a real server (logistics_sync_base/controllers/queue_job.py).

The job is an endpoint's "process events" job, made to wait on a transfer this test
holds locked (as a user saving it would).  Its backend is then terminated, as a
PostgreSQL restart or failover does: the job is tried again (its retry pattern), up to
its ``max_retries``, then failed.  A connection lost while the job COMMITs is another
case: the commit may have happened; then the job must not run again.  That one
closes the worker's socket (``ss -K``) while a deferred trigger of this test keeps
the COMMIT busy, so PostgreSQL commits and the worker never hears it.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import uuid

import pytest
import requests
from conftest import CONNECTION_KILLED
from live_jobs import failed_job_allowance
from test_live_webhook import _endpoint, _event, _open_transfer, _signed

TRIED_AGAIN = "database error, tried again"
SS = shutil.which("ss")


def _post(server, code, secret, event):
    body = json.dumps(event)
    response = requests.post(
        f"{server.url}/logistics_sync/v1/events/{code}",
        data=body,
        headers=_signed(secret, body, event["event_id"]),
        timeout=60,
    )
    assert response.status_code == 202, response.text[:300]


def _transfer(server):
    """A transfer of the test's own, a copy of an open demo delivery: the events other
    live tests post to the shared demo deliveries (an ``in_transit`` there makes a
    later ``picked_up`` superseded) never reach it."""
    source = _open_transfer(server)
    copied = server.call("stock.picking", "copy", [source["id"]])
    picking_id = copied[0] if isinstance(copied, list) else copied
    name = server.call("stock.picking", "read", [picking_id], ["name"])[0]["name"]
    return picking_id, name


def _can_close_sockets():
    """Whether ``ss -K`` may close a socket here (it needs CAP_NET_ADMIN)."""
    if SS is None:
        return False
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _addr = server.accept()
        port = client.getsockname()[1]
        subprocess.run(  # noqa: S603
            [SS, "-K", "-t", "sport", "=", str(port)], capture_output=True, check=False
        )
        try:
            client.send(b"?")
            client.recv(1)
        except OSError:
            return True
        finally:
            client.close()
            accepted.close()
    return False


def _job(cur, channel):
    cur.execute(
        "SELECT id, uuid, state, retry, max_retries, result, exc_info FROM queue_job"
        " WHERE channel = %s AND method_name = '_job_process_pending'"
        " ORDER BY id DESC LIMIT 1",
        (channel,),
    )
    row = cur.fetchone()
    keys = ("id", "uuid", "state", "retry", "max_retries", "result", "exc_info")
    return dict(zip(keys, row, strict=True)) if row else None


def _event_state(cur, endpoint_id, event_id):
    cur.execute(
        "SELECT state FROM logistics_event WHERE endpoint_id = %s AND external_id = %s",
        (endpoint_id, event_id),
    )
    return cur.fetchone()[0]


def _blocked_by(cur, holder_pid):
    cur.execute(
        "SELECT pid FROM pg_stat_activity"
        " WHERE datname = current_database() AND %s = ANY(pg_blocking_pids(pid))",
        (holder_pid,),
    )
    row = cur.fetchone()
    return row and row[0]


@pytest.fixture
def locked_endpoint(odoo_server):
    """(endpoint id, code, secret, transfer name, holder connection, check cursor):
    the transfer locked by ``holder`` until the test releases it."""
    code = f"live-conn-{uuid.uuid4().hex[:8]}"
    endpoint_id, secret = _endpoint(odoo_server, code)
    picking_id, ref = _transfer(odoo_server)
    holder = odoo_server.pg_connect()
    check = odoo_server.pg_connect()
    check.autocommit = True
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT id FROM stock_picking WHERE id = %s FOR UPDATE", (picking_id,))
        yield endpoint_id, code, secret, ref, holder, check.cursor()
    finally:
        holder.rollback()
        holder.close()
        check.close()


def _terminate_blocked(server, cur, holder):
    pid = server.wait_until(
        lambda: _blocked_by(cur, holder.info.backend_pid),
        timeout=90,
        message="the job to wait on the locked transfer",
    )
    cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert cur.fetchone()[0]


@pytest.mark.server_log_allows(*CONNECTION_KILLED)
def test_connection_lost_while_running_is_tried_again(odoo_server, locked_endpoint):
    endpoint_id, code, secret, ref, holder, cur = locked_endpoint
    event_id = f"conn-{uuid.uuid4()}"
    _post(odoo_server, code, secret, _event(event_id, ref, "picked_up"))
    channel = f"root.logistics_sync.{code}"
    _terminate_blocked(odoo_server, cur, holder)
    job = odoo_server.wait_until(
        lambda: (j := _job(cur, channel)) and j["state"] == "pending" and j["retry"] == 1 and j,
        timeout=60,
        message="the job to be postponed after its connection was lost",
    )
    assert TRIED_AGAIN in job["result"], job
    assert not job["exc_info"], "a lost connection is no failure"
    holder.rollback()  # the user saved the transfer: the job can work
    job = odoo_server.wait_until(
        lambda: (j := _job(cur, channel)) and j["state"] == "done" and j,
        timeout=90,
        message="the job to run again and finish",
    )
    assert job["retry"] == 2, job
    assert _event_state(cur, endpoint_id, event_id) == "applied"


@pytest.mark.server_log_allows(
    *CONNECTION_KILLED,
    # the job fails at its max retries, on purpose
    *failed_job_allowance(r"Max\. retries \(2\) reached: database error, tried again"),
)
def test_connection_lost_honours_max_retries(odoo_server, locked_endpoint):
    endpoint_id, code, secret, ref, holder, cur = locked_endpoint
    event_id = f"conn-max-{uuid.uuid4()}"
    _post(odoo_server, code, secret, _event(event_id, ref, "picked_up"))
    channel = f"root.logistics_sync.{code}"
    _terminate_blocked(odoo_server, cur, holder)
    job = odoo_server.wait_until(
        lambda: (j := _job(cur, channel)) and j["state"] == "pending" and j["retry"] == 1 and j,
        timeout=60,
        message="the job to be postponed after its connection was lost",
    )
    # two attempts for this job (set while it waits for its next try)
    cur.execute("UPDATE queue_job SET max_retries = 2 WHERE id = %s", (job["id"],))
    _terminate_blocked(odoo_server, cur, holder)
    job = odoo_server.wait_until(
        lambda: (j := _job(cur, channel)) and j["state"] == "failed" and j,
        timeout=60,
        message="the job to fail at its max_retries",
    )
    assert job["retry"] == 2, job
    assert "Max. retries (2) reached: database error, tried again" in job["exc_info"], job
    holder.rollback()
    # the job ended: nothing of it was committed, the event waits for the next job
    assert _event_state(cur, endpoint_id, event_id) == "received"


def test_connection_lost_during_commit_never_runs_a_done_job_again(odoo_server):
    if not _can_close_sockets():
        pytest.skip("closing a socket from outside (ss -K) needs CAP_NET_ADMIN")
    code = f"live-commit-{uuid.uuid4().hex[:8]}"
    endpoint_id, secret = _endpoint(odoo_server, code)
    _picking_id, ref = _transfer(odoo_server)
    conn = odoo_server.pg_connect()
    conn.autocommit = True
    cur = conn.cursor()
    function = f"ls_test_slow_commit_{endpoint_id}"
    # Each applied event of this endpoint makes its transaction's COMMIT take 4 s.
    cur.execute(
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS"  # noqa: S608
        " $$ BEGIN PERFORM pg_sleep(4); RETURN NULL; END $$"
    )
    cur.execute(
        f"CREATE CONSTRAINT TRIGGER {function} AFTER UPDATE ON logistics_event"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        f" WHEN (NEW.endpoint_id = {int(endpoint_id)} AND NEW.state = 'applied')"
        f" EXECUTE FUNCTION {function}()"
    )
    try:
        event_id = f"commit-{uuid.uuid4()}"
        _post(odoo_server, code, secret, _event(event_id, ref, "picked_up"))
        backend, port = odoo_server.wait_until(
            lambda: _committing(cur),
            timeout=90,
            message="the job's COMMIT to run the deferred trigger",
        )
        worker = _socket_owner(port)
        assert _parent_pid(worker) == odoo_server.process.pid, "a worker of this server"
        # The worker is frozen and its socket closed: PostgreSQL finishes the COMMIT
        # and cannot tell it; the worker hears of the lost connection only afterwards.
        os.kill(worker, signal.SIGSTOP)
        try:
            closed = subprocess.run(  # noqa: S603
                [SS, "-K", "-t", "sport", "=", str(port)],
                capture_output=True,
                text=True,
                check=True,
            )
            assert str(port) in closed.stdout, closed.stdout
            odoo_server.wait_until(
                lambda: not _backend_alive(cur, backend),
                timeout=60,
                message="the job's backend to commit and go",
            )
        finally:
            os.kill(worker, signal.SIGCONT)
        # the runner's request for the job ends once the worker has handled the error
        # (the old override had postponed the done job then, to run it again)
        channel = f"root.logistics_sync.{code}"
        uuid_ = _job(cur, channel)["uuid"]
        odoo_server.wait_until(
            lambda: _runjob_answered(odoo_server, uuid_),
            timeout=60,
            message="the worker to finish the job's request",
        )
        job = _job(cur, channel)
    finally:
        cur.execute(f"DROP TRIGGER {function} ON logistics_event")
        cur.execute(f"DROP FUNCTION {function}()")
    # PostgreSQL committed the job's work and its "done": it was never run again
    assert job["state"] == "done", job
    assert job["retry"] == 1, job
    assert _event_state(cur, endpoint_id, event_id) == "applied"
    with open(odoo_server.log_path, encoding="utf-8", errors="replace") as log:
        assert "COMMIT interrupted (connection lost); the job is done" in log.read()
    conn.close()


def _committing(cur):
    """(backend pid, client port) of a COMMIT in the test's trigger."""
    cur.execute(
        "SELECT pid, client_port FROM pg_stat_activity"
        " WHERE datname = current_database() AND query = 'COMMIT' AND wait_event = 'PgSleep'"
    )
    return cur.fetchone()


def _socket_owner(port):
    """The process id holding the TCP socket of local port ``port``."""
    listed = subprocess.run(  # noqa: S603
        [SS, "-tnpH", "sport", "=", str(port)], capture_output=True, text=True, check=True
    )
    owners = set(re.findall(r"pid=(\d+)", listed.stdout))
    assert len(owners) == 1, listed.stdout
    return int(owners.pop())


def _runjob_answered(server, job_uuid):
    """Whether the server logged the answer to the runner's request for the job."""
    with open(server.log_path, encoding="utf-8", errors="replace") as log:
        return f"job_uuid={job_uuid} HTTP/1.1" in log.read()


def _backend_alive(cur, pid):
    cur.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
    return bool(cur.fetchone())


def _parent_pid(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])
