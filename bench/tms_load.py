#!/usr/bin/env python3
"""Transfers released per second to the TMS simulator vs no-op jobs, same channel, same run.

Run by bench/tms.  Starts the TMS simulator (127.0.0.1, its own port, no
webhooks: only the release path is measured), configures the bench TMS
endpoint on it (bench_tms_setup), then in one run:
1. N no-op jobs on the endpoint's channel: jobs done per second (the baseline);
2. real time: N confirmed transfers released at once, one job per transfer:
   transfers stored by the TMS per second;
3. batch window: N more, released in calls of up to --batch-size transfers:
   transfers stored by the TMS per second.
"Stored by the TMS" is read from the simulator (GET /_sim/stats, creates per
release version), so a transfer counts once it reached the TMS, exactly once.
Targets (issue 9): real time >= 0.5 x the no-op rate, batch >= 10 x.
"""

import argparse
import base64
import importlib.util
import json
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR = ROOT / "logistics_sync_tms" / "simulator" / "tms_simulator.py"
BUSY = ["pending", "enqueued", "started"]
TOKEN = "bench-tms-token"  # noqa: S105 (the simulator's, in this run only)


def stored_creates(sim_url):
    with urllib.request.urlopen(f"{sim_url}/_sim/stats", timeout=30) as response:  # noqa: S310
        stats = json.load(response)
    return sum(1 for writes in stats["writes"].values() if writes.get("create"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=0, help="the simulator's answer delay")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *a, **k):
        return models.execute_kw(args.db, uid, "admin", model, method, list(a), k)

    spec = importlib.util.spec_from_file_location("lsync_tms_simulator", SIMULATOR)
    simulator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(simulator)
    secret = "whsec_" + base64.b64encode(b"bench-tms-unused-webhook-secret!").decode()
    sim, sim_url = simulator.spawn(
        ["--token", TOKEN, "--webhook-secret", secret, "--webhook-interval", "3600"]
        + ["--latency-ms", str(args.latency_ms), "--max-lifetime", "1800"]
    )

    def wait_stored(count, what):
        deadline = time.monotonic() + args.timeout
        while stored_creates(sim_url) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{what}: {stored_creates(sim_url)} of {count} reached the TMS")
            time.sleep(0.1)

    try:
        Bench = "logistics.sync.bench.row"
        setup = call(Bench, "bench_tms_setup", sim_url, TOKEN, 2, args.batch_size)
        count = args.transfers

        uuids = call(Bench, "bench_enqueue_noop", count, setup["channel"])
        started = time.perf_counter()
        while (
            call("queue.job", "search_count", [("uuid", "in", uuids), ("state", "=", "done")])
            < count
        ):
            time.sleep(0.1)
        noop = count / (time.perf_counter() - started)

        rates, calls = {}, {}
        for mode in ("realtime", "batch"):
            ids = call(Bench, "bench_tms_make_pickings", count)
            before = stored_creates(sim_url)
            started = time.perf_counter()
            released = call(Bench, "bench_tms_release", ids, mode)
            calls[mode] = time.perf_counter() - started
            if released != count:
                raise SystemExit(f"{mode}: {released} of {count} transfers routed to the TMS")
            wait_stored(before + count, mode)
            rates[mode] = count / (time.perf_counter() - started)
        # not timed: the window's job commits after the TMS stored its call; Odoo
        # stopped before that would leave its releases queued in the database
        deadline = time.monotonic() + 60
        busy = [("channel", "=", setup["channel"]), ("state", "in", BUSY)]
        while call("queue.job", "search_count", busy) and time.monotonic() < deadline:
            time.sleep(0.1)
        stats_doc = json.load(urllib.request.urlopen(f"{sim_url}/_sim/stats", timeout=30))  # noqa: S310
    finally:
        sim.terminate()
        sim.wait(10)
    twice = sum(1 for writes in stats_doc["writes"].values() if writes.get("create", 0) > 1)
    print(f"channel {setup['channel']} (capacity 2), simulator latency {args.latency_ms} ms")
    print(f"  no-op queue_job         {noop:8.1f} jobs/s ({count} jobs)")
    print(
        f"  real-time release       {rates['realtime']:8.1f} transfers/s ({count} transfers; "
        f"{calls['realtime']:.1f} s of it creating the releases and their jobs)"
    )
    print(
        f"  batch-window release    {rates['batch']:8.1f} transfers/s "
        f"({count} transfers, up to {args.batch_size} per call, "
        f"{stats_doc['batches']} batch calls; {calls['batch']:.1f} s of it creating the releases)"
    )
    print(f"  ratio real-time/no-op: {rates['realtime'] / noop:.2f} (target >= 0.5)")
    print(f"  ratio batch/no-op:     {rates['batch'] / noop:.2f} (target >= 10)")
    print(f"  releases stored more than once at the TMS: {twice}")


if __name__ == "__main__":
    main()
