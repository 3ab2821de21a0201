#!/usr/bin/env python3
"""Run by bench/scale: ingestion and processing on an empty table, then with N stored events.

Phase 1 empties logistics_event (and queue_job) and measures single-event requests
and batches, then processing: the queue_job runner is started (standalone, so that
the ingestion measures run without it), the no-op job rate is measured, then the
realistic stream of bench/pipeline (``--transfers`` transfers, 5 milestones each,
``--duplicates`` sent twice, shuffled), with bench/pipeline_load.py's own code.
Phase 2 seeds N events by one SQL INSERT ... SELECT (realistic rows: many endpoints'
worth of ids, shipments, states, payloads; then ANALYZE) and measures the same again.
Before each processing measure the events left by the ingestion measures (received,
their jobs pending) are deleted, the seeded ones kept.  Prints the ingestion rates
and their ratio (target: >= 0.9), and processing / no-op job rate at each size
(target: >= 4).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
import xmlrpc.client
from pathlib import Path

import benchdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_load import CHAIN, Bench  # noqa: E402
from webhook_load import run, signed_requests  # noqa: E402

# the channel of the endpoint (demo-tms) and of the no-op baseline: one job at a time,
# as bench/pipeline
CHANNELS = "root:2,root.logistics_sync:2,root.logistics_sync.demo-tms:1"

SEED_SQL = """
INSERT INTO logistics_event (
    endpoint_id, company_id, external_id, shipment_ref, event_type, milestone, payload_hash,
    state, payload, occurred_at, received_at, processed_at, applied_at, sequence,
    location_city, location_country_code, attempts, create_uid, write_uid, create_date,
    write_date)
SELECT %(endpoint)s, %(company)s, 'seed-' || %(run)s || '-' || g, 'SEED/' || (g / 12),
       'milestone', (ARRAY['picked_up','in_transit','out_for_delivery','delivered'])[1 + g %% 4],
       md5(g::text), (ARRAY['applied','superseded','applied','applied'])[1 + g %% 4],
       '{"event_id": "seed-' || g || '", "shipment_ref": "SEED/' || (g / 12)
         || '", "milestone": "in_transit", "occurred_at": "2026-01-01T00:00:00Z"}',
       now() - make_interval(secs => g), now() - make_interval(secs => g),
       now() - make_interval(secs => g), now() - make_interval(secs => g), g %% 12,
       'Hub ' || (g %% 97), 'FR', 1, 1, 1, now(), now()
  FROM generate_series(1, %(count)s) AS g
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--conf", required=True)
    parser.add_argument("--seed-events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--transfers", type=int, default=1000, help="0: no processing")
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--noop-jobs", type=int, default=500)
    parser.add_argument("--odoo", help="Odoo source folder (for the job runner)")
    parser.add_argument("--runner-log", default=os.devnull)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    [endpoint] = models.execute_kw(
        args.db,
        uid,
        "admin",
        "logistics.endpoint",
        "search_read",
        [[("code", "=", "demo-tms")]],
        {"fields": ["signing_secret", "company_id"]},
    )
    secret = endpoint["signing_secret"]
    pg = benchdb.connect(args.conf)
    run_id = uuid.uuid4().hex[:8]
    calls = [0]

    def requests_(n, batch):
        calls[0] += 1
        return signed_requests(secret, f"scale-{run_id}-{calls[0]}", "SCALE", n, batch)

    def measure(label):
        run(args.port, requests_(100, 1), args.concurrency)  # warm
        single = run(args.port, requests_(args.requests, 1), args.concurrency)
        batches = max(10, args.requests // args.batch * 4)
        batch = run(args.port, requests_(batches, args.batch), args.concurrency)
        with pg.cursor() as cr:
            cr.execute("SELECT count(*) FROM logistics_event")
            rows = cr.fetchone()[0]
        print(
            f"  {label:28s} rows {rows:>9,}  single {single['rps']:7.1f} events/s "
            f"(p99 {single['p99_ms']:5.1f} ms)  batch of {args.batch} "
            f"{batch['rps'] * args.batch:7.0f} events/s (p99 {batch['p99_ms']:6.1f} ms)"
        )
        return single["rps"], batch["rps"] * args.batch

    bench = Bench(args) if args.transfers else None

    def processing(label):
        """No-op jobs, then the realistic stream, with the runner started for them."""
        with pg.cursor() as cr:
            # the ingestion measures' events (never processed: no runner) and their jobs
            cr.execute(
                "DELETE FROM logistics_event WHERE external_id NOT LIKE 'seed-%';"
                " DELETE FROM queue_job;"
            )
            cr.execute("ANALYZE logistics_event")
        runner = start_runner(args)
        try:
            noop = bench.noop_jobs(args.noop_jobs)
            real = bench.realistic(args.transfers, args.duplicates)
        finally:
            runner.send_signal(signal.SIGTERM)
            runner.wait(timeout=30)
        with pg.cursor() as cr:
            cr.execute("SELECT count(*) FROM logistics_event")
            rows = cr.fetchone()[0]
        ratio = real["rate"] / noop
        print(
            f"  {label:28s} rows {rows:>9,}  no-op jobs {noop:6.1f} jobs/s  realistic"
            f" {real['events']:,} events ({len(CHAIN)} milestones x {len(real['refs']):,}"
            f" transfers) + {real['sent'] - real['events']:,} duplicates, shuffled:"
            f" {real['rate']:6.1f} events/s = {ratio:.1f} x no-op (target >= 4);"
            f" states {real['states']}; transfers not in their in-order state:"
            f" {len(real['wrong'])}"
        )
        return ratio, len(real["wrong"])

    with pg.cursor() as cr:
        cr.execute("DELETE FROM logistics_event; DELETE FROM queue_job;")
        cr.execute("VACUUM ANALYZE logistics_event")
    print(f"Ingestion, {args.concurrency} senders, same server and run:")
    empty = measure("empty table")
    if bench:
        print("Processing (queue_job runner), same server and run:")
        empty_processing = processing("empty table")
    started = time.monotonic()
    with pg.cursor() as cr:
        cr.execute("DELETE FROM logistics_event; DELETE FROM queue_job;")
        cr.execute(
            SEED_SQL,
            {
                "endpoint": endpoint["id"],
                "company": endpoint["company_id"][0],
                "run": run_id,
                "count": args.seed_events,
            },
        )
        cr.execute("ANALYZE logistics_event")
    print(f"  (seeded {args.seed_events:,} events in {time.monotonic() - started:.0f} s)")
    full = measure(f"{args.seed_events:,} stored events")
    print(
        f"  ratio stored/empty: single {full[0] / empty[0]:.2f}, "
        f"batch {full[1] / empty[1]:.2f} (target >= 0.90)"
    )
    if not bench:
        return 0
    full_processing = processing(f"{args.seed_events:,} stored events")
    print(
        f"  processing/no-op: empty table {empty_processing[0]:.1f},"
        f" {args.seed_events:,} stored {full_processing[0]:.1f} (target >= 4)"
    )
    if empty_processing[1] or full_processing[1]:
        print("  FAILED: transfers not in their in-order state")
        return 1
    return 0


RUNNER = """
import sys

import odoo

odoo.tools.config.parse_config(sys.argv[1:])  # the addons path first, then queue_job
from odoo.addons.queue_job.jobrunner.runner import QueueJobRunner

QueueJobRunner.from_environ_or_config().run()
"""


def start_runner(args):
    """The queue_job runner, standalone (queue_job's ``jobrunner`` main, after the
    configuration is parsed: importing queue_job needs the addons path); its
    [queue_job] settings by environment."""
    env = dict(
        os.environ,
        PYTHONPATH=args.odoo,
        ODOO_QUEUE_JOB_CHANNELS=CHANNELS,
        ODOO_QUEUE_JOB_SCHEME="http",
        ODOO_QUEUE_JOB_HOST="127.0.0.1",
        ODOO_QUEUE_JOB_PORT=str(args.port),
    )
    runner = subprocess.Popen(  # noqa: S603 (fixed arguments, our own configuration)
        [sys.executable, "-c", RUNNER, "-c", args.conf, f"--logfile={args.runner_log}"],
        env=env,
    )
    time.sleep(2)
    if runner.poll() is not None:
        raise SystemExit(f"the queue_job runner exited ({runner.returncode}): {args.runner_log}")
    return runner


if __name__ == "__main__":
    sys.exit(main())
