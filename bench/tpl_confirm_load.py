#!/usr/bin/env python3
"""3PL shipping confirmations applied per second vs no-op jobs, same channel, same run.

Run by bench/tpl_confirm (Odoo serving the benchmark database with the queue_job
runner).  In one run:
1. N no-op jobs on the bench 3PL endpoint's channel: jobs done per second (the
   baseline: what the runner alone costs per job);
2. N released deliveries of 5 lot-tracked lines each; their N shipping
   confirmations (5 lines with lots, one package) stored as the webhook stores
   them, then applied by the endpoint's processing jobs through the runner:
   confirmations applied per second, from the store to the last applied.
Target (issue 22): at least 2 times the no-op job rate.
"""

import argparse
import time
import xmlrpc.client

BENCH = "logistics.sync.bench.row"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="lsync_bench_3pl")
    parser.add_argument("--confirmations", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *a, **k):
        return models.execute_kw(args.db, uid, "admin", model, method, list(a), k)

    count = args.confirmations
    setup = call(BENCH, "bench_tpl_setup", 2)
    uuids = call(BENCH, "bench_enqueue_noop", count, setup["channel"])
    started = time.perf_counter()
    while (
        call("queue.job", "search_count", [("uuid", "in", uuids), ("state", "=", "done")]) < count
    ):
        time.sleep(0.1)
    noop = count / (time.perf_counter() - started)

    run = int(time.time()) % 10_000
    made = time.perf_counter()
    events = call(BENCH, "bench_tpl_make", count, run)
    made = time.perf_counter() - made
    ids = [event["event_id"] for event in events]
    started = time.perf_counter()
    status = call(BENCH, "bench_tpl_ingest", events)
    stored = time.perf_counter() - started
    deadline = time.monotonic() + args.timeout
    while True:
        applied, other = call(BENCH, "bench_tpl_applied", ids)
        if applied + other >= count:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{applied} of {count} confirmations applied in time")
        time.sleep(0.2)
    rate = count / (time.perf_counter() - started)
    print(f"channel {setup['channel']} (capacity 2), {count} of each")
    print(f"  no-op queue_job            {noop:8.1f} jobs/s")
    print(
        f"  shipping confirmations     {rate:8.1f} applied/s (5 lines with lots, one package; "
        f"{stored:.1f} s of it storing them, status {status}; {made:.0f} s making the deliveries)"
    )
    print(f"  not applied (dead, failed, superseded): {other}")
    print(f"  ratio confirmations/no-op: {rate / noop:.2f} (target >= 2)")


if __name__ == "__main__":
    main()
