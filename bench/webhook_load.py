#!/usr/bin/env python3
"""Load generator: our signed webhook vs the bare one-INSERT controller, same run.

Run by bench/webhook (which starts the server); prints throughput and p50/p99
latency of each, and their ratio.  Every webhook request carries a new event
(so each one is stored and queued, not answered as a duplicate).
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
import xmlrpc.client
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logistics_sync_base"))
from lib.signature import sign_headers  # noqa: E402


def signed_requests(secret, prefix, ref, n, batch):
    """``n`` signed POSTs to the demo TMS endpoint, each of ``batch`` new
    ``in_transit`` events (a single object when ``batch`` is 1)."""
    out = []
    for i in range(n):
        events = [
            {
                "event_id": f"{prefix}-{i}-{j}",
                "shipment_ref": f"{ref}/{i % 50}",
                "milestone": "in_transit",
                "occurred_at": "2026-11-26T08:00:00Z",
                "sequence": i,
            }
            for j in range(batch)
        ]
        body = json.dumps(events[0] if batch == 1 else events).encode()
        headers = sign_headers(secret, events[0]["event_id"], body)
        headers["Content-Type"] = "application/json"
        out.append(("/logistics_sync/v1/events/demo-tms", body, headers))
    return out


def run(port, requests_, concurrency):
    """POST every (path, body, headers) over keep-alive connections; return stats."""
    latencies, statuses, lock = [], {}, threading.Lock()
    chunks = [requests_[i::concurrency] for i in range(concurrency)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local = []
        for path, body, headers in chunk:
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            local.append(time.perf_counter() - started)
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(local)

    return _stats(latencies, _in_threads(worker, chunks), statuses)


def _in_threads(worker, chunks):
    """Run ``worker(chunk)`` for every chunk at once; return the seconds it took."""
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _stats(latencies, elapsed, statuses):
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[max(0, int(len(latencies) * 0.99) - 1)],
        "statuses": statuses,
    }


def raw_postgres(conf_path, batches, concurrency):
    """Baseline for batches: the same rows with plain multi-row INSERT ... ON CONFLICT
    DO NOTHING, one durable transaction per batch, straight to PostgreSQL."""
    import configparser

    import psycopg2

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path)
    options = parser["options"]
    dsn = {
        "dbname": options["db_name"],
        "host": options.get("db_host") or None,
        "port": options.get("db_port") or None,
        "user": options.get("db_user") or None,
        "password": options.get("db_password") or None,
    }
    setup = psycopg2.connect(**dsn)
    with setup, setup.cursor() as cr:
        cr.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_event (id serial PRIMARY KEY, endpoint_id int,"
            " external_id varchar, shipment_ref varchar, milestone varchar, occurred_at timestamp,"
            " sequence int, payload text, payload_hash varchar, received_at timestamp,"
            " state varchar, UNIQUE (endpoint_id, external_id))"
        )
        cr.execute("TRUNCATE bench_raw_event")
    setup.close()
    chunks = [batches[i::concurrency] for i in range(concurrency)]
    latencies, lock = [], threading.Lock()

    def worker(chunk):
        conn = psycopg2.connect(**dsn)
        local = []
        with conn.cursor() as cr:
            for events in chunk:
                started = time.perf_counter()
                rows = [
                    (
                        1,
                        e["event_id"],
                        e["shipment_ref"],
                        e["milestone"],
                        e["occurred_at"],
                        e["sequence"],
                        json.dumps(e),
                        "x" * 64,
                        "received",
                    )
                    for e in events
                ]
                values = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,now(),%s)"] * len(rows))
                cr.execute(
                    "INSERT INTO bench_raw_event (endpoint_id, external_id, shipment_ref,"
                    " milestone, occurred_at, sequence, payload, payload_hash, received_at, state)"
                    f" VALUES {values} ON CONFLICT (endpoint_id, external_id) DO NOTHING",
                    [v for row in rows for v in row],
                )
                conn.commit()
                local.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(local)

    return _stats(latencies, _in_threads(worker, chunks), {"commits": len(batches)})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--batch", type=int, default=1, help="events per webhook request")
    parser.add_argument(
        "--conf", help="Odoo config of the bench database (raw PostgreSQL baseline)"
    )
    args = parser.parse_args()

    common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{args.port}/xmlrpc/2/common")
    uid = common.authenticate(args.db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{args.port}/xmlrpc/2/object")
    [endpoint] = models.execute_kw(
        args.db,
        uid,
        "admin",
        "logistics.endpoint",
        "search_read",
        [[("code", "=", "demo-tms")]],
        {"fields": ["signing_secret"]},
    )
    secret = endpoint["signing_secret"]

    def set_rate_limit(limit):
        models.execute_kw(
            args.db,
            uid,
            "admin",
            "logistics.endpoint",
            "write",
            [[endpoint["id"]], {"rate_limit_per_minute": limit}],
        )

    run_id = uuid.uuid4().hex[:8]

    calls = [0]

    def webhook_requests(n):
        calls[0] += 1
        return signed_requests(secret, f"bench-{run_id}-{calls[0]}", "BENCH", n, args.batch)

    warm = webhook_requests(100)
    run(args.port, [("/logistics_sync_bench/bare", b, h) for (_p, b, h) in warm], args.concurrency)
    run(args.port, warm, args.concurrency)

    n = args.requests
    ours_requests = webhook_requests(n)
    bare_requests = [("/logistics_sync_bench/bare", b, h) for (_p, b, h) in webhook_requests(n)]
    bare = run(args.port, bare_requests, args.concurrency)
    ours = run(args.port, ours_requests, args.concurrency)
    # The same webhook with a rate limit it never reaches: the cost of the shared
    # limiter (one short transaction of its own per request).
    set_rate_limit(1_000_000_000)
    try:
        limited = run(args.port, webhook_requests(n), args.concurrency)
    finally:
        set_rate_limit(0)
    bare2 = run(args.port, bare_requests, args.concurrency)  # baseline again: drift check
    baseline = (bare["rps"] + bare2["rps"]) / 2
    print(f"batch={args.batch} requests={n} concurrency={args.concurrency}")
    for name, stats in (
        ("bare INSERT (1st)", bare),
        ("bare INSERT (2nd)", bare2),
        ("webhook", ours),
        ("webhook, limited", limited),
    ):
        print(
            f"  {name:18s} {stats['rps']:8.1f} req/s  p50 {stats['p50_ms']:6.1f} ms  "
            f"p99 {stats['p99_ms']:6.1f} ms  {stats['statuses']}"
        )
    print(
        f"  ratio webhook/bare: {ours['rps'] / baseline:.2f}"
        f"  (events/s through the webhook: {ours['rps'] * args.batch:.0f})"
    )
    print(f"  ratio webhook with a rate limit/bare: {limited['rps'] / baseline:.2f}")
    if args.conf and args.batch > 1:
        batches = [json.loads(body) for (_p, body, _h) in webhook_requests(n)]
        raw = raw_postgres(args.conf, batches, args.concurrency)
        print(
            f"  {'raw PostgreSQL':18s} {raw['rps']:8.1f} batches/s = {raw['rps'] * args.batch:.0f} events/s"
            f"  p50 {raw['p50_ms']:6.1f} ms  p99 {raw['p99_ms']:6.1f} ms"
        )
        print(f"  ratio webhook/raw PostgreSQL (events/s): {ours['rps'] / raw['rps']:.2f}")


if __name__ == "__main__":
    main()
