#!/usr/bin/env python3
"""The monitoring views and the metrics scrape, empty vs 1,000,000 events, same run.

Run by bench/monitoring.  In one run:
1. empty: no event and no KPI row; the overview (the kanban's web_search_read of
   every endpoint), the KPI history graph and pivot (read_group by day and endpoint)
   and a metrics scrape (GET /logistics_sync/metrics), each --repeat times;
2. seeds --events events over 90 days on 5 bench endpoints (one SQL statement:
   applied, superseded, waiting, failed and dead ones), computes the KPI history of
   those 90 days (the KPI cron with a 90-day lookback, timed), and measures the same
   calls again.
Times are medians of the round trip on 127.0.0.1 (an upper bound of the server
time).  Targets (issue 11): overview and history under 1 s, a scrape under 50 ms.
"""

import argparse
import configparser
import os
import re
import statistics
import time
import urllib.request
import xmlrpc.client

import psycopg2

ENDPOINTS = 5
REQUEST_LINE = re.compile(r'HTTP/1\.[01]" 200 - \d+ (?P<sql>[\d.]+) (?P<rest>[\d.]+)')
SEED = """
INSERT INTO logistics_event (
    endpoint_id, company_id, external_id, shipment_ref, event_type, milestone,
    occurred_at, received_at, lag_seconds, payload, payload_hash, state,
    processed_at, applied_at, attempts, replay_count, wait_alerted,
    first_failure_at, last_failure_at, create_uid, write_uid, create_date, write_date)
SELECT ep.id, ep.company_id, 'bench-' || g, 'BENCH-' || (g %% 50000), 'milestone', 'in_transit',
       x.r - interval '5 minutes', x.r, 300, '{}', md5(g::text), x.st,
       x.r + interval '2 seconds',
       CASE WHEN x.st = 'applied' THEN x.r + (g %% 7 + 1) * interval '1 second' END,
       CASE x.st WHEN 'dead' THEN 5 WHEN 'failed' THEN 2 ELSE 1 END, 0, false,
       CASE WHEN x.st IN ('dead', 'failed') THEN x.r END,
       CASE WHEN x.st IN ('dead', 'failed') THEN x.r END,
       1, 1, now(), now()
  FROM generate_series(1, %(n)s) g
 CROSS JOIN LATERAL (
       SELECT (now() AT TIME ZONE 'UTC') - g * (90 * 86400.0 / %(n)s) * interval '1 second' AS r,
              CASE WHEN g %% 1000 = 0 THEN 'dead' WHEN g %% 997 = 0 THEN 'failed'
                   WHEN g %% 500 = 1 THEN 'waiting' WHEN g %% 50 = 2 THEN 'superseded'
                   ELSE 'applied' END AS st) x
  JOIN (SELECT id, company_id, row_number() OVER (ORDER BY id) - 1 AS rn
          FROM logistics_endpoint WHERE code LIKE 'bench-mon-%%') ep
    ON ep.rn = g %% %(endpoints)s
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="lsync_bench_monitoring")
    parser.add_argument("--conf", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--odoo-log", help="Odoo's log: server times from its request lines")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *a, **k):
        return models.execute_kw(args.db, uid, "admin", model, method, list(a), k)

    conf = configparser.ConfigParser()
    conf.read(args.conf)
    opts = conf["options"]
    db = psycopg2.connect(
        dbname=args.db,
        host=opts["db_host"],
        port=opts["db_port"],
        user=opts["db_user"],
        password=opts["db_password"],
    )
    db.autocommit = True
    cr = db.cursor()

    for i in range(ENDPOINTS):
        code = f"bench-mon-{i}"
        if not call("logistics.endpoint", "search", [("code", "=", code)]):
            call("logistics.endpoint", "create", {"name": f"Bench carrier {i}", "code": code})
    wizard = call("logistics.metrics.token.new", "create", {"name": "bench"})
    call("logistics.metrics.token.new", "action_create", [wizard])
    token = call("logistics.metrics.token.new", "read", [wizard], ["token"])[0]["token"]
    cron = call(
        "ir.model.data",
        "check_object_reference",
        "logistics_sync_monitoring",
        "ir_cron_logistics_kpi",
    )[1]

    kanban = {
        "name": {},
        "circuit_state": {},
        "mon_dead_count": {},
        "mon_events_last_hour": {},
        "mon_p95_last_hour": {},
        "mon_failed_rate": {},
        "mon_waiting_count": {},
    }
    calls = {
        "overview (kanban)": lambda: call(
            "logistics.endpoint", "web_search_read", [], specification=kanban
        ),
        "history graph (day x endpoint)": lambda: call(
            "logistics.sync.kpi",
            "read_group",
            [],
            ["received_count:sum", "sync_p95:max", "failed_rate:avg"],
            ["hour:day", "endpoint_id"],
            lazy=False,
        ),
        "history pivot (endpoint x day)": lambda: call(
            "logistics.sync.kpi",
            "read_group",
            [],
            ["received_count:sum", "dead_count:sum", "failed_rate:avg", "sync_p95:max"],
            ["endpoint_id", "day:day"],
            lazy=False,
        ),
        "history list (80 rows)": lambda: call(
            "logistics.sync.kpi",
            "web_search_read",
            [],
            specification={f: {} for f in ("hour", "received_count", "failed_rate", "sync_p95")},
            limit=80,
        ),
        "metrics scrape": lambda: scrape(url, token),
    }

    def measure():
        """{call: (median round trip, median server time or None)}"""
        result = {}
        for name, fn in calls.items():
            fn()  # warm up
            offset = log_size(args.odoo_log)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            time.sleep(0.2)  # the workers write their request lines
            server = server_times(args.odoo_log, offset)
            result[name] = (
                statistics.median(times),
                statistics.median(server) if len(server) >= args.repeat else None,
            )
        return result

    cr.execute("DELETE FROM logistics_sync_kpi")
    cr.execute("DELETE FROM logistics_event")
    cr.execute("VACUUM ANALYZE logistics_event")
    cr.execute("VACUUM ANALYZE logistics_sync_kpi")
    call("ir.cron", "method_direct_trigger", [cron])
    empty = measure()

    print(f"Seeding {args.events:,} events over 90 days on {ENDPOINTS} endpoints ...", flush=True)
    start = time.perf_counter()
    cr.execute(SEED, {"n": args.events, "endpoints": ENDPOINTS})
    cr.execute("ANALYZE logistics_event")
    seeded_in = time.perf_counter() - start
    call("ir.config_parameter", "set_param", "logistics_sync_monitoring.kpi_lookback_hours", "2200")
    start = time.perf_counter()
    call("ir.cron", "method_direct_trigger", [cron])
    history_in = time.perf_counter() - start
    call("ir.config_parameter", "set_param", "logistics_sync_monitoring.kpi_lookback_hours", "6")
    cr.execute("ANALYZE logistics_sync_kpi")
    cr.execute("SELECT count(*) FROM logistics_event")
    stored = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM logistics_sync_kpi")
    rows = cr.fetchone()[0]
    start = time.perf_counter()
    call("ir.cron", "method_direct_trigger", [cron])
    cron_in = time.perf_counter() - start
    full = measure()

    print(f"events stored: {stored:,}; seeded in {seeded_in:.1f} s")
    print(
        f"KPI history: {rows:,} rows (90 days x endpoints x hours) computed in {history_in:.1f} s;"
    )
    print(f"the regular KPI cron (7 hours) takes {cron_in * 1000:.0f} ms")
    sample = [
        line
        for line in scrape(url, token).decode().splitlines()
        if 'endpoint="bench-mon-0"' in line and ("_total" in line or 'state="dead"' in line)
    ]
    print("a scrape, some of its lines:\n  " + "\n  ".join(sample[:8]))
    print(
        f"median of {args.repeat}, ms: server time (Odoo's request log: SQL + Python)"
        " / round trip on 127.0.0.1"
    )
    print(f"{'call':32} {'empty':>15} {'1M events':>15} {'ratio':>6}  target (server)")
    for name in calls:
        target = 0.05 if name == "metrics scrape" else 1.0
        (e_rt, e_srv), (f_rt, f_srv) = empty[name], full[name]
        e_srv, f_srv = e_srv or e_rt, f_srv or f_rt
        ok = "ok" if f_srv < target else "MISSED"
        print(
            f"{name:32} {e_srv * 1000:6.1f} / {e_rt * 1000:6.1f} {f_srv * 1000:6.1f} / "
            f"{f_rt * 1000:6.1f} {f_srv / e_srv:5.1f}x  <{target * 1000:.0f} {ok}"
        )


def log_size(path):
    return os.path.getsize(path) if path and os.path.exists(path) else 0


def server_times(path, offset):
    """Seconds per request (SQL time + the rest) from Odoo's werkzeug lines."""
    if not path:
        return []
    with open(path, "rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    times = []
    for line in lines:
        match = REQUEST_LINE.search(line)
        if match and "/web/" not in line:
            times.append(float(match["sql"]) + float(match["rest"]))
    return times


def scrape(url, token):
    request = urllib.request.Request(  # noqa: S310 (127.0.0.1)
        f"{url}/logistics_sync/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 200
        return response.read()


if __name__ == "__main__":
    main()
