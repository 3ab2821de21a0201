#!/usr/bin/env python3
"""Booking jobs per second through the carrier simulator vs no-op jobs, same channel.

Run by bench/booking.  Starts the simulator and the UPS fake (127.0.0.1, their
own ports, they stop by themselves), configures a bench carrier endpoint on each,
then in one run, after N no-op jobs not counted (the workers warm up):
1. N no-op jobs on the carrier endpoint's channel (capacity 2): jobs done per second;
2. N transfers whose bookings are queued at once (what validating them does):
   bookings done per second (book, store the answer, fetch the label, attach it);
3. with ``--karrio``: N no-op jobs on the karrio endpoint's channel, then N
   bookings through karrio's UPS extension against the UPS fake (one call, the
   label in the answer, stored with the booking).
"""

import argparse
import importlib.util
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"
KARRIO_FAKE = ROOT / "logistics_sync_carrier" / "simulator" / "karrio_fake.py"


def _noop_rate(call, channel, count):
    """No-op jobs done per second on ``channel``."""
    uuids = call("logistics.sync.bench.row", "bench_enqueue_noop", count, channel)
    started = time.perf_counter()
    while (
        call("queue.job", "search_count", [("uuid", "in", uuids), ("state", "=", "done")]) < count
    ):
        time.sleep(0.1)
    return count / (time.perf_counter() - started)


def _measure(call, setup, count):
    """(no-op jobs per second, bookings per second, labels) on ``setup``'s channel."""
    Bench = "logistics.sync.bench.row"
    noop = _noop_rate(call, setup["channel"], count)
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
        "stock.picking", "search_count", [("id", "in", ids), ("logistics_label_id", "!=", False)]
    )
    return noop, booking, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=0, help="the simulator's answer delay")
    parser.add_argument("--karrio", action="store_true", help="also through karrio (UPS fake)")
    parser.add_argument("--karrio-label", choices=("PDF", "ZPL"), default="PDF")
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
        # warm-up, not counted: the workers' first jobs after the server started are
        # slower (caches, the runner's connections); without it the first arm's
        # no-op rate was measured cold and the two arms' baselines differed by 60 %
        _noop_rate(call, setup["channel"], count)

        noop, booking, labels = _measure(call, setup, count)
        karrio = None
        if args.karrio:
            spec = importlib.util.spec_from_file_location("lsync_karrio_fake", KARRIO_FAKE)
            fake_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(fake_module)
            fake, fake_url = fake_module.spawn(
                [
                    "--carrier",
                    "ups",
                    "--client-id",
                    "bench",
                    "--client-secret",
                    "bench-secret",
                    "--webhook-secret",
                    "unused",
                    "--latency-ms",
                    str(args.latency_ms),
                    "--max-lifetime",
                    "900",
                ]
            )
            try:
                karrio_setup = call(Bench, "bench_karrio_setup", fake_url, "bench", "bench-secret")
                karrio = _measure(call, karrio_setup, count)
            finally:
                fake.terminate()
                fake.wait(10)
    finally:
        sim.terminate()
        sim.wait(10)
    print(f"channel {setup['channel']} (capacity 2), simulator latency {args.latency_ms} ms")
    print(f"  no-op queue_job      {noop:7.1f} jobs/s ({count} jobs)")
    print(
        f"  carrier bookings     {booking:7.1f} bookings/s ({count} transfers, {labels} labels attached)"
    )
    print(f"  ratio bookings/no-op jobs: {booking / noop:.2f}")
    if karrio:
        k_noop, k_booking, k_labels = karrio
        print(f"karrio UPS (fake), {args.karrio_label} labels, its own channel (capacity 2)")
        print(f"  no-op queue_job      {k_noop:7.1f} jobs/s ({count} jobs)")
        print(
            f"  karrio bookings      {k_booking:7.1f} bookings/s ({count} transfers,"
            f" {k_labels} labels attached)"
        )
        print(f"  ratio bookings/no-op jobs: {k_booking / k_noop:.2f}")
        cost = (1000 / k_booking) - (1000 / booking)
        print(
            f"  karrio against our REST adapter: {k_booking / booking:.2f} x the rate,"
            f" {cost:+.1f} ms per booking"
        )


if __name__ == "__main__":
    main()
