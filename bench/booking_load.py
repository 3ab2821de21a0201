#!/usr/bin/env python3
"""Booking jobs per second through the carrier simulator vs no-op jobs, same channel.

Run by bench/booking.  Starts the simulator (127.0.0.1, its own port, stops by
itself), configures a bench carrier endpoint on it, then in one run:
1. N no-op jobs on the carrier endpoint's channel (capacity 2): jobs done per second;
2. N transfers whose bookings are queued at once (what validating them does):
   bookings done per second (book, store the answer, fetch the label, attach it).
"""

import argparse
import importlib.util
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=0, help="the simulator's answer delay")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *a, **k):
        return models.execute_kw(args.db, uid, "admin", model, method, list(a), k)

    spec = importlib.util.spec_from_file_location("lsync_carrier_simulator", SIMULATOR)
    simulator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(simulator)
    sim, sim_url = simulator.spawn(
        [
            "--api-key",
            "bench-key",
            "--username",
            "bench",
            "--password",
            "bench",
            "--webhook-secret",
            "unused",
            "--webhook-interval",
            "3600",
            "--latency-ms",
            str(args.latency_ms),
            "--max-lifetime",
            "900",
        ]
    )
    try:
        Bench = "logistics.sync.bench.row"
        setup = call(Bench, "bench_carrier_setup", sim_url, "bench-key")
        count = args.bookings

        uuids = call(Bench, "bench_enqueue_noop", count, setup["channel"])
        started = time.perf_counter()
        while (
            call("queue.job", "search_count", [("uuid", "in", uuids), ("state", "=", "done")])
            < count
        ):
            time.sleep(0.1)
        noop = count / (time.perf_counter() - started)

        ids = call(Bench, "bench_make_pickings", setup["carrier_id"], count)
        call(Bench, "bench_queue_bookings", ids)
        started = time.perf_counter()
        while (
            call(
                "stock.picking",
                "search_count",
                [("id", "in", ids), ("logistics_booking_state", "=", "booked")],
            )
            < count
        ):
            time.sleep(0.1)
        booking = count / (time.perf_counter() - started)
        labels = call(
            "stock.picking",
            "search_count",
            [("id", "in", ids), ("logistics_label_id", "!=", False)],
        )
    finally:
        sim.terminate()
        sim.wait(10)
    print(f"channel {setup['channel']} (capacity 2), simulator latency {args.latency_ms} ms")
    print(f"  no-op queue_job      {noop:7.1f} jobs/s ({count} jobs)")
    print(
        f"  carrier bookings     {booking:7.1f} bookings/s ({count} transfers, {labels} labels attached)"
    )
    print(f"  ratio bookings/no-op jobs: {booking / noop:.2f}")


if __name__ == "__main__":
    main()
