# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Live-server fixtures: a real Odoo with HTTP workers and the queue_job runner.

Odoo's own test classes run every HTTP request inside the test's transaction,
so real concurrency (parallel requests, the job runner, lock waits) cannot be
tested there.  ``setup/test`` installs the addons into a throwaway database,
runs the Odoo tests, then runs pytest with these variables set:

- ``LS_TEST_CONF``: the Odoo configuration file of that database
- ``LS_ODOO_BIN`` and ``LS_PYTHON``: how to start Odoo

The ``odoo_server`` fixture starts Odoo on that database (3 HTTP workers, the
queue_job runner, 127.0.0.1, a free port) and stops it by its PID at the end.
A test that needs it fails, loudly, when the variables are missing.

Every live server's log is read after each test: an Odoo ``ERROR`` or ``CRITICAL``
line written while the test ran fails it, with the lines.  A test that provokes
errors on purpose names them, narrowly, with
``@pytest.mark.server_log_allows(r"regex", ...)`` (matched against the line and its
traceback).
"""

import configparser
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import psycopg2
import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent

# Odoo's log format: "2026-12-07 06:05:52,123 4242 ERROR db logger: message"
LOG_RECORD = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) ", re.M)
BAD_LEVELS = (b"ERROR", b"CRITICAL")
# Allowances (``server_log_allows``) shared by the live tests that provoke them.
# Concurrent jobs and answers for one shipment: PostgreSQL refuses the second UPDATE
# of a row ("could not serialize access"), Odoo logs the query as an ERROR, then the
# request or job is run again (seen on sale_order's stored sync fields and on
# releases when a TMS answers while a release job runs).
SERIALIZATION_FAILURE = (
    r"odoo\.sql_db: bad query: b' UPDATE \"(sale_order|logistics_tms_release)\"[\s\S]*"
    r"\nERROR: could not serialize access due to concurrent update\Z"
)
# The database cut away under a running server (tests/tcp_proxy.py).
DATABASE_CUT = (
    r"odoo\.sql_db: bad query: [\s\S]*server closed the connection unexpectedly"
    r"[\s\S]*before or while processing the request\.\Z",
    r"odoo\.http: Exception during request handling\.[\s\S]*\npsycopg2\.(InterfaceError: "
    r"connection already closed|OperationalError: (server closed the connection "
    r"unexpectedly|connection to server at \S+, port \d+ failed: ))"
    r"[^\n]*(\n\t[^\n]*)*\Z",
    r"odoo\.service\.server: Worker (Worker\w+ )?\(\d+\) Exception occurred, exiting\.\.\."
    r"[\s\S]*\npsycopg2\.(InterfaceError|OperationalError): [^\n]*(\n\t[^\n]*)*\Z",
    # the job runner reconnects (every 5 s) while the database is away
    r"queue_job\.jobrunner\.runner: exception: sleeping 5s and retrying[\s\S]*"
    r"\npsycopg2\.OperationalError: [^\n]*(\n\t[^\n]*)*\Z",
)
# A job's backend terminated under it (tests/test_live_job_connection.py): the savepoint
# it was in cannot be rolled back on the dead connection, which Odoo logs.
CONNECTION_KILLED = (r"odoo\.sql_db: bad query: [\s\S]*\nERROR: cursor already closed\Z",)
# log path -> bytes already read (servers of one run may share one log file)
_SERVER_LOGS = {}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    def __init__(self, conf_path, port, log_path, db_options):
        self.conf_path = conf_path
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.db = db_options["db_name"]
        self.db_options = db_options
        self.process = None
        self._models = None
        self.uid = None

    # ------------------------------------------------------------- XML-RPC
    def call(self, model, method, *args, **kwargs):
        if self._models is None:
            common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
            self.uid = common.authenticate(self.db, "admin", "admin", {})
            assert self.uid, "admin/admin cannot log in to the test database"
            self._models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return self._models.execute_kw(
            self.db, self.uid, "admin", model, method, list(args), kwargs
        )

    def pg_connect(self):
        """A PostgreSQL connection of its own (not Odoo's), for locks and checks."""
        options = self.db_options
        return psycopg2.connect(
            dbname=self.db,
            host=options.get("db_host") or None,
            port=options.get("db_port") or None,
            user=options.get("db_user") or None,
            password=options.get("db_password") or None,
        )

    def wait_until(self, predicate, timeout=60, interval=0.25, message="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def _server_config(source_conf, port, runner_channels):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(source_conf)
    options = dict(parser["options"])
    options.update(
        http_port=str(port),
        gevent_port=str(free_port()),
        workers="3",
        max_cron_threads="1",
        server_wide_modules="base,web,queue_job,logistics_sync_base",
        limit_time_real="300",
    )
    parser["options"] = options
    parser["queue_job"] = {"channels": runner_channels}
    return parser, options


def live_settings():
    """(source configuration, odoo-bin, python) of setup/test's database, or fail."""
    source_conf = os.environ.get("LS_TEST_CONF")
    odoo_bin = os.environ.get("LS_ODOO_BIN")
    if not (source_conf and odoo_bin and Path(source_conf).exists()):
        pytest.fail(
            "Live tests need a test database: run them through setup/test "
            "(LS_TEST_CONF and LS_ODOO_BIN are not set)."
        )
    return source_conf, odoo_bin, os.environ.get("LS_PYTHON", sys.executable)


def _postpone_procurement_scheduler(server):
    """Odoo's daily *Procurement: run scheduler* is due in a fresh test database, so
    the live server's cron thread would run it (quant merges, reservations) at a moment
    of its choosing, beside a test's own stock moves: a serialization failure no test
    provoked.  No live test needs it: it waits a day."""
    with contextlib.closing(server.pg_connect()) as conn, conn, conn.cursor() as cr:
        cr.execute(
            """UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' + interval '1 day'
                WHERE id = (SELECT res_id FROM ir_model_data
                             WHERE module = 'stock' AND name = 'ir_cron_scheduler_action')"""
        )


@contextlib.contextmanager
def launch_odoo(workdir, channels, log_path=None, **overrides):
    """A real Odoo server on setup/test's database (options ``overrides`` replace the
    defaults: 3 workers, the cron thread, the queue_job runner), stopped at the end."""
    source_conf, odoo_bin, python = live_settings()
    port = free_port()
    parser, options = _server_config(source_conf, port, channels)
    options.update({key: str(value) for key, value in overrides.items()})
    parser["options"] = options
    workdir.mkdir(parents=True, exist_ok=True)
    conf_path = workdir / "odoo.conf"
    with open(conf_path, "w") as handle:
        parser.write(handle)
    os.chmod(conf_path, 0o600)
    log_path = Path(log_path or os.environ.get("LS_LIVE_LOG") or workdir / "odoo.log")
    server = OdooServer(conf_path, port, log_path, options)
    _postpone_procurement_scheduler(server)
    with open(log_path, "ab") as log:
        _SERVER_LOGS.setdefault(log_path, log.tell())
        server.process = subprocess.Popen(  # noqa: S603
            [python, odoo_bin, "-c", str(conf_path), "--logfile", ""],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise AssertionError(
                    f"Odoo exited with {server.process.returncode}; see {log_path}"
                )
            try:
                if requests.get(f"{server.url}/web/login", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(
                f"Odoo did not answer on {server.url} within 120 s; see {log_path}"
            )
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    with launch_odoo(
        tmp_path_factory.mktemp("odoo"),
        "root:4,root.logistics_sync:4,root.logistics_sync_carrier:4",
    ) as server:
        yield server


# ------------------------------------------------------------ offline / live parts
def is_live(item):
    """A live test: in a ``test_live_*.py`` module, or using the ``odoo_server``
    fixture.  Every other test runs without Odoo and without the test database."""
    return item.path.name.startswith("test_live_") or "odoo_server" in getattr(
        item, "fixturenames", ()
    )


def pytest_collection_modifyitems(config, items):
    """``LS_PYTEST_PART=offline`` keeps only the tests that need no Odoo,
    ``LS_PYTEST_PART=live`` only the live ones (the others are deselected, and
    counted as such).  setup/test runs the offline part while Odoo installs the
    addons and runs its tests, then the live part on the installed database: the two
    parts are every collected test.  Unset: every test."""
    part = os.environ.get("LS_PYTEST_PART")
    if not part:
        return
    if part not in ("offline", "live"):
        raise pytest.UsageError(f"LS_PYTEST_PART={part!r}: 'offline' or 'live'")
    keep, drop = [], []
    for item in items:
        (keep if is_live(item) == (part == "live") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --------------------------------------------------------------- server log check
def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "server_log_allows(*patterns): ERROR/CRITICAL records of the live servers' log "
        "this test provokes on purpose (regular expressions, searched in the record)",
    )


def server_log_errors(allowed=()):
    """The ERROR/CRITICAL records (line and traceback) written to the live servers'
    logs since the last call, less those matching one of ``allowed``."""
    found = []
    for path, offset in list(_SERVER_LOGS.items()):
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            continue
        # a record still being written stays for the next call
        end = data.rfind(b"\n") + 1
        _SERVER_LOGS[path] = offset + end
        data = data[:end]
        starts = [match.start() for match in LOG_RECORD.finditer(data)] + [len(data)]
        for start, stop in zip(starts, starts[1:], strict=False):
            record = data[start:stop]
            level = LOG_RECORD.match(record).group(1)
            if level not in BAD_LEVELS:
                continue
            text = record.decode("utf-8", "replace").rstrip()
            if not any(re.search(pattern, text) for pattern in allowed):
                found.append(text)
    return found


@pytest.fixture(autouse=True)
def _no_server_log_errors(request):
    """Fail a test during which a live server logged an ERROR or CRITICAL line."""
    marker = request.node.get_closest_marker("server_log_allows")
    allowed = marker.args if marker else ()
    # written before this test started (a server starting, the end of the test before)
    errors = [f"(before this test started) {error}" for error in server_log_errors(allowed)]
    yield
    if not _SERVER_LOGS:
        return
    time.sleep(0.5)  # a record being written as the test ends
    errors += server_log_errors(allowed)
    if errors:
        shown = "\n\n".join(error[:3000] for error in errors[:10])
        pytest.fail(
            f"{len(errors)} ERROR/CRITICAL record(s) in the live server log during "
            f"{request.node.name}:\n{shown}",
            pytrace=False,
        )
