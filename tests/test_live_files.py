# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""File channels over SFTP against a real SFTP server on 127.0.0.1 (tests/sftp_server.py,
paramiko's server side), through the real queue_job runner of a live Odoo: carrier
invoice files (freight_csv) downloaded, imported once and moved to processed/; files
uploaded under a temporary name then renamed; a host key that is not the pinned one
refused; the connection cut during a read and during a write, and the server down
while a job runs: the job retries (RetryableJobError), nothing is lost, nothing is
imported twice, no temporary file is left behind."""

import io
import time
import uuid
import xmlrpc.client

import paramiko
import pytest
from live_jobs import (
    assert_no_idle_in_transaction,
    create_endpoint,
    prepare_server,
    run_cron,
    settle,
    unique_code,
    watching,
)
from sftp_server import SftpTestServer, public_key_line

PICKUP_CRON = "logistics_sync_base.ir_cron_logistics_file_pickup"
HEADER = (
    "invoice_number,invoice_date,currency,shipment_ref,tracking_ref,charge_type,amount,"
    "quantity,description"
)


@pytest.fixture(scope="module")
def server(odoo_server):
    return prepare_server(odoo_server)


@pytest.fixture(scope="module")
def world(server):
    vendor = server.call("res.partner", "create", {"name": "Live files carrier"})
    [company] = server.call("res.company", "search_read", [], ["currency_id"], limit=1)
    [currency] = server.call("res.currency", "read", [company["currency_id"][0]], ["name"])
    return {"vendor": vendor, "currency": currency["name"]}


@pytest.fixture
def watch(server):
    with watching(server) as watch:
        yield watch


@pytest.fixture
def sftp(tmp_path):
    root = tmp_path / "sftp"
    (root / "in").mkdir(parents=True)
    (root / "out").mkdir()
    with SftpTestServer(root, lifetime=240) as sftp_server:
        sftp_server.root_path = root
        yield sftp_server


def _endpoint(server, watch, world, sftp, **values):
    """A carrier endpoint taking invoice files from the server's in/ (at once) and
    uploading to out/; the test server's address is loopback, allowed by the
    developer setting (prepare_server), as for the HTTP simulators."""
    settings = {
        "kind": "carrier",
        "freight_partner_id": world["vendor"],
        "file_transport": "sftp",
        "file_format": "freight_csv",
        "file_inbound_path": "in",
        "file_outbound_path": "out",
        "file_min_age_seconds": 0,
        "sftp_host": "127.0.0.1",
        "sftp_port": sftp.port,
        "sftp_username": sftp.username,
        "sftp_host_key": sftp.host_key_line,
        "sftp_password": sftp.password,
        "max_attempts": 3,
        "retry_base_seconds": 1,
    }
    return create_endpoint(server, watch, unique_code("files"), **{**settings, **values})


def _invoice(world, lines=3):
    """A carrier invoice (CSV bytes) for shipments not known yet: accepted, its charges
    wait for their transfers."""
    number = f"LSF-{uuid.uuid4().hex[:8]}"
    rows = [
        f"{number},2026-11-30,{world['currency']},LIVE-FILES-{uuid.uuid4().hex[:6]},,base,"
        f"{100 + i}.00,1,line {i}"
        for i in range(lines)
    ]
    return number, ("\n".join([HEADER, *rows]) + "\n").encode()


def _drop(sftp, name, data):
    path = sftp.root_path / "in" / name
    path.write_bytes(data)  # the endpoint takes files at once (file_min_age_seconds 0)
    return path


def _files(watch, endpoint_id):
    return watch.rows(
        """SELECT id, direction, name, state, error, moved, remote_path, attempts, sha256
             FROM logistics_file WHERE endpoint_id = %s ORDER BY id""",
        endpoint_id,
    )


def _ended(watch, channel):
    jobs = watch.jobs(channel)
    return jobs if jobs and all(job["state"] in ("done", "failed") for job in jobs) else None


def _received_once(watch, endpoint_id, channel, name):
    """Wait for the file to be received, handed on and moved; returns (files, jobs)."""

    def done():
        rows = _files(watch, endpoint_id)
        jobs = _ended(watch, channel)
        if rows and jobs and all(row[5] for row in rows) and len(jobs) >= 2:
            return rows, jobs
        return None

    return settle(watch, done, f"{name} to be received and moved")


def _batches(watch, endpoint_id):
    return watch.rows(
        "SELECT name, state, line_count FROM logistics_freight_batch WHERE endpoint_id = %s",
        endpoint_id,
    )


def _send(server, endpoint_id, name, data):
    """``endpoint._file_send`` through a server action (as an addon's code calls it)."""
    model = server.call("ir.model", "search", [("model", "=", "logistics.endpoint")])[0]
    action = server.call(
        "ir.actions.server",
        "create",
        {
            "name": f"Live files: send {name}",
            "model_id": model,
            "state": "code",
            "code": (
                f"env['logistics.endpoint'].browse({endpoint_id})"
                f"._file_send({name!r}, {data!r})"
            ),
        },
    )
    server.call("ir.actions.server", "run", [action])


def _sent(watch, endpoint_id, channel, name):
    def done():
        rows = [row for row in _files(watch, endpoint_id) if row[2] == name]
        if rows and rows[0][3] in ("sent", "failed") and _ended(watch, channel):
            return rows[0]
        return None

    return settle(watch, done, f"{name} to be uploaded")


def _received_jobs(jobs):
    return [job for job in jobs if job["method"] == "_job_file_receive"]


def test_download_import_once_and_upload_with_a_key(server, watch, world, sftp):
    endpoint_id, channel = _endpoint(server, watch, world, sftp)
    _number, data = _invoice(world)
    _drop(sftp, "nov.csv", data)
    run_cron(server, PICKUP_CRON)
    rows, jobs = _received_once(watch, endpoint_id, channel, "nov.csv")
    [(file_id, direction, name, state, error, moved, remote_path, _a, _sha)] = rows
    assert (direction, name, state, error) == ("in", "nov.csv", "processed", None), rows
    assert remote_path == f"processed/{file_id}-nov.csv"
    assert [job["state"] for job in jobs] == ["done", "done"], jobs
    assert _batches(watch, endpoint_id) == [("nov.csv", "accepted", 3)]
    inbox = sftp.root_path / "in"
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    assert (inbox / "processed" / f"{file_id}-nov.csv").read_bytes() == data
    # the cron again: nothing left to take
    run_cron(server, PICKUP_CRON)
    time.sleep(1)
    assert len(watch.jobs(channel)) == 2
    # upload, logged in with a private key instead of the password
    client_key = paramiko.ECDSAKey.generate()
    sftp.allow_client_key(client_key)
    pem = io.StringIO()
    client_key.write_private_key(pem)
    server.call(
        "logistics.endpoint",
        "write",
        [endpoint_id],
        {"sftp_password": False, "sftp_private_key": pem.getvalue()},
    )
    payload = b"ISA*00*live upload~" * 50
    _send(server, endpoint_id, "OUT-1.x12", payload)
    row = _sent(watch, endpoint_id, channel, "OUT-1.x12")
    assert (row[3], row[4]) == ("sent", None), row
    outbox = sftp.root_path / "out"
    assert [p.name for p in outbox.iterdir()] == ["OUT-1.x12"]
    assert (outbox / "OUT-1.x12").read_bytes() == payload
    assert_no_idle_in_transaction(watch)


def test_a_host_key_that_is_not_the_pinned_one_is_refused(server, watch, world, sftp):
    other = public_key_line(paramiko.ECDSAKey.generate())
    endpoint_id, channel = _endpoint(server, watch, world, sftp, sftp_host_key=other)
    _drop(sftp, "dec.csv", _invoice(world)[1])
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.call("logistics.endpoint", "action_file_test_connection", [endpoint_id])
    assert "is not the pinned one" in refused.value.faultString
    assert sftp.host_key_line.split()[0] in refused.value.faultString  # the key offered
    run_cron(server, PICKUP_CRON)
    [endpoint] = server.call("logistics.endpoint", "read", [endpoint_id], ["cron_error"])
    assert "is not the pinned one" in endpoint["cron_error"], endpoint
    assert not watch.jobs(channel)
    assert not _files(watch, endpoint_id)
    assert (sftp.root_path / "in" / "dec.csv").exists()  # left where it was


def test_a_connection_cut_during_a_read_retries_and_imports_once(server, watch, world, sftp):
    endpoint_id, channel = _endpoint(server, watch, world, sftp)
    _number, data = _invoice(world, lines=40)
    _drop(sftp, "cut-read.csv", data)
    sftp.cut_next_read()
    run_cron(server, PICKUP_CRON)
    rows, jobs = _received_once(watch, endpoint_id, channel, "cut-read.csv")
    assert sftp.faults_left()[0] == {"read": 0}  # the cut happened
    [receive] = _received_jobs(jobs)
    assert receive["retry"] >= 1 and receive["state"] == "done", receive
    assert [row[3] for row in rows] == ["processed"], rows  # one record, nothing twice
    assert _batches(watch, endpoint_id) == [("cut-read.csv", "accepted", 40)]
    assert (sftp.root_path / "in" / "processed" / f"{rows[0][0]}-cut-read.csv").read_bytes() == data
    assert_no_idle_in_transaction(watch)


def test_a_connection_cut_during_a_write_retries_and_uploads_once(server, watch, world, sftp):
    endpoint_id, channel = _endpoint(server, watch, world, sftp)
    payload = bytes(range(256)) * 1200  # 300 KB: several write requests
    sftp.cut_next_write()
    _send(server, endpoint_id, "BIG-1.bin", payload)
    row = _sent(watch, endpoint_id, channel, "BIG-1.bin")
    assert sftp.faults_left()[0] == {"write": 0}
    assert (row[3], row[4], row[7]) == ("sent", None, 1), row  # one failed try, recorded
    outbox = sftp.root_path / "out"
    assert [p.name for p in outbox.iterdir()] == ["BIG-1.bin"]  # no temporary left
    assert (outbox / "BIG-1.bin").read_bytes() == payload
    [upload] = watch.jobs(channel)
    assert upload["state"] == "done", upload
    assert_no_idle_in_transaction(watch)


def test_the_server_down_while_the_job_runs_retries_and_loses_nothing(server, watch, world, sftp):
    endpoint_id, channel = _endpoint(server, watch, world, sftp)
    _number, data = _invoice(world)
    _drop(sftp, "down.csv", data)
    # the cron lists the folder, then the server stops listening for 4 s: the job's
    # first try finds no server (refused), its retry (10 s later) finds it back
    sftp.down_after_next_listing(4)
    run_cron(server, PICKUP_CRON)
    rows, jobs = _received_once(watch, endpoint_id, channel, "down.csv")
    [receive] = _received_jobs(jobs)
    assert receive["retry"] >= 1 and receive["state"] == "done", receive
    assert [row[3] for row in rows] == ["processed"], rows
    assert _batches(watch, endpoint_id) == [("down.csv", "accepted", 3)]
    assert (sftp.root_path / "in" / "processed" / f"{rows[0][0]}-down.csv").read_bytes() == data
    assert_no_idle_in_transaction(watch)


def test_a_file_too_large_is_recorded_failed_moved_aside_and_never_queued_again(
    server, watch, world, sftp
):
    """The failure is recorded on a second connection (the job's own transaction is
    rolled back), then the file moves to failed/ by a job of its own."""
    endpoint_id, channel = _endpoint(server, watch, world, sftp, file_max_bytes=100)
    _number, data = _invoice(world)
    _drop(sftp, "huge.csv", data)
    run_cron(server, PICKUP_CRON)
    rows, jobs = _received_once(watch, endpoint_id, channel, "huge.csv")
    [(file_id, _d, _n, state, error, _m, remote_path, _a, _sha)] = rows
    assert state == "failed" and "larger than the limit of 100 bytes" in error, rows
    assert remote_path == f"failed/{file_id}-huge.csv"
    assert [job["state"] for job in jobs] == ["done", "done"], jobs
    assert not _batches(watch, endpoint_id)
    assert (sftp.root_path / "in" / "failed" / f"{file_id}-huge.csv").read_bytes() == data
    run_cron(server, PICKUP_CRON)
    time.sleep(1)
    assert len(watch.jobs(channel)) == 2  # never queued again
    assert_no_idle_in_transaction(watch)
