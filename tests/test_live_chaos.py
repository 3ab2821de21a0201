# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The chaos suite, reduced (tests/chaos.py; bench/chaos runs 10,000 events): a few
hundred events with 30 % duplicates from senders that retry, while Odoo workers, the
cron worker and the job runner are SIGKILLed, PostgreSQL goes away once (a TCP proxy
between Odoo and the cluster is cut), the carrier simulator is down while transfers
are booked through it, the TMS simulator is down while sales orders are confirmed and
released to it, and the whole server is SIGKILLed and started again.

Scale-out on Odoo's own engine at the same time: a second Odoo server on the same
database (a second host behind the reverse proxy of
setup/deploy/nginx-logistics-sync.conf) with its job runner off (channels root:0):
exactly one runner, senders post to either server.  Every count must be 0."""

import os
import sys
import time
import uuid
from pathlib import Path

import pytest
from chaos import (
    CarrierBookings,
    Chaos,
    ChaosServer,
    TmsReleases,
    chaos_channels,
    report,
    spawn_carrier_simulator,
)
from conftest import DATABASE_CUT, SERIALIZATION_FAILURE, live_settings
from tcp_proxy import TcpProxy

EVENTS = int(os.environ.get("LS_CHAOS_EVENTS", "300"))
RELEASES = 4


@pytest.fixture(scope="module")
def carrier_simulator():
    process, url = spawn_carrier_simulator(max_lifetime=900)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# the database cut and workers killed on purpose; TMS answers racing release jobs
@pytest.mark.server_log_allows(*DATABASE_CUT, SERIALIZATION_FAILURE)
def test_chaos_counts_are_zero(tmp_path, odoo_server, carrier_simulator):
    source_conf, odoo_bin, python = live_settings()
    options = odoo_server.db_options
    pg = (options.get("db_host") or "127.0.0.1", int(options.get("db_port") or 5432))
    proxy = TcpProxy(*pg)
    code = f"chaos-{uuid.uuid4().hex[:6]}"
    server = ChaosServer(
        source_conf,
        odoo_bin,
        python,
        tmp_path,
        Path(os.environ.get("LS_LIVE_LOG") or tmp_path / "odoo.log"),
        chaos_channels(code),
        direct=pg,
        workers=3,
        max_cron_threads=1,
        db_host="127.0.0.1",
        db_port=proxy.port,
    )

    # host B: HTTP workers only, no runner, no cron
    server_b = ChaosServer(
        source_conf,
        odoo_bin,
        python,
        tmp_path / "b",
        server.log_path,
        "root:0",
        direct=pg,
        workers=2,
        max_cron_threads=0,
        db_host="127.0.0.1",
        db_port=proxy.port,
    )

    def restart_pg():
        proxy.cut()
        time.sleep(3)
        proxy.restore()

    tms = TmsReleases(server, RELEASES, f"{code}-tms", max_lifetime=600)
    try:
        server.start()
        server_b.start()
        assert "WorkerJobRunner" in server.workers()
        assert "WorkerJobRunner" not in server_b.workers()
        chaos = Chaos(
            server,
            code,
            events=EVENTS,
            kill_every=2.0,
            pg_restarts=1,
            restart_pg=restart_pg,
            whole_server_kill=True,
            outbound=[CarrierBookings(server, carrier_simulator, 4, f"{code}-carrier"), tms],
            outage_seconds=4,
            drain_timeout=240,
            log=lambda line: print(line, file=sys.stderr),
            urls=[server.url, server_b.url],
        )
        chaos.prepare()
        counts, info = chaos.run()
        report(counts, info, out=lambda line: print(line, file=sys.stderr))
    finally:
        tms.close()
        server.stop()
        server_b.stop()
        proxy.stop()
    assert info["time to drain after the last post (s)"] is not None, info
    assert counts == dict.fromkeys(counts, 0), (counts, info)
    assert len(chaos.acked) == info["unique events"], info
    assert info["kills"].get("WorkerHTTP") and info["kills"].get("whole server"), info
    assert info["kills"].get("TMS outage") and info["releases"] == RELEASES, info
    assert set(chaos.served_by) == {server.url, server_b.url}, "both hosts took webhooks"
