#!/usr/bin/env python3
"""Run by bench/scale: ingestion rate on an empty table, then with N stored events.

Phase 1 empties logistics_event (and queue_job) and measures single-event requests
and batches; phase 2 seeds N events by one SQL INSERT ... SELECT (realistic rows:
many endpoints' worth of ids, shipments, states, payloads; then ANALYZE) and
measures the same again.  Prints both rates and their ratio (target: >= 0.9).
"""

import argparse
import configparser
import sys
import time
import uuid
import xmlrpc.client
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from webhook_load import run, signed_requests  # noqa: E402

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
    parser_ = configparser.ConfigParser(interpolation=None)
    parser_.read(args.conf)
    options = parser_["options"]
    pg = psycopg2.connect(
        dbname=options["db_name"],
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
        password=options.get("db_password") or None,
    )
    pg.autocommit = True
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

    with pg.cursor() as cr:
        cr.execute("DELETE FROM logistics_event; DELETE FROM queue_job;")
        cr.execute("VACUUM ANALYZE logistics_event")
    print(f"Ingestion, {args.concurrency} senders, same server and run:")
    empty = measure("empty table")
    started = time.monotonic()
    with pg.cursor() as cr:
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


if __name__ == "__main__":
    main()
