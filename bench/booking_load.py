#!/usr/bin/env python3
"""Booking jobs per second through the carrier simulator vs no-op jobs, same channel.

Run by bench/booking.  Starts the simulator and the UPS fake (127.0.0.1, their
own ports, they stop by themselves), configures a bench carrier endpoint on each,
then in one run, after N no-op jobs on each channel not counted (the workers warm
up), ``--rounds`` rounds of, on each endpoint's channel (capacity 2):
1. N / rounds no-op jobs: jobs done per second;
2. N / rounds transfers whose bookings are queued at once (what validating them
   does): bookings done per second (REST: book, store the answer, fetch the label,
   attach it; with ``--karrio``, through karrio's UPS extension against the UPS fake:
   one call, the labels in the answer, stored with the booking).
Each kind's rate is its jobs over the time they took, from the first job started to
the last one done (queue_job's own dates: no polling in the figure), summed over the
rounds.  Alternating the kinds in rounds puts the same background load on the
baseline and on the bookings: a single no-op arm before a single booking arm
measured the two minutes apart (their ratio moved with whatever else the machine
did meanwhile, 0.27-0.33 over three runs).
"""

import argparse
import importlib.util
import statistics
import time
import xmlrpc.client
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"
KARRIO_FAKE = ROOT / "logistics_sync_carrier" / "simulator" / "karrio_fake.py"
Bench = "logistics.sync.bench.row"


def _span(call, pg, domain, count):
    """Seconds from the first of ``count`` jobs started to the last done, once they
    are all done (``domain``: those jobs; the dates read in SQL, to the microsecond
    that Odoo's read drops)."""
    while call("queue.job", "search_count", [*domain, ("state", "=", "done")]) < count:
        time.sleep(0.1)
    ids = call("queue.job", "search", domain)
    with pg.cursor() as cr:
        cr.execute(
            "SELECT extract(epoch FROM max(date_done) - min(date_started))"
            " FROM queue_job WHERE id = ANY(%s)",
            (ids,),
        )
        return float(cr.fetchone()[0])


def _noop(call, pg, channel, count):
    uuids = call(Bench, "bench_enqueue_noop", count, channel)
    return _span(call, pg, [("uuid", "in", uuids)], count)


def _bookings(call, pg, setup, count):
    """(seconds, transfers booked, labels attached) of ``count`` bookings."""
    ids = call(Bench, "bench_make_pickings", setup["carrier_id"], count)
    [last] = call("queue.job", "search_read", [], ["id"], order="id desc", limit=1) or [{"id": 0}]
    call(Bench, "bench_queue_bookings", ids)
    domain = [
        ("id", ">", last["id"]),
        ("channel", "=", setup["channel"]),
        ("method_name", "=", "_logistics_book_job"),
    ]
    seconds = _span(call, pg, domain, count)
    booked = call(
        "stock.picking",
        "search_count",
        [("id", "in", ids), ("logistics_booking_state", "=", "booked")],
    )
    labels = call(
        "stock.picking", "search_count", [("id", "in", ids), ("logistics_label_id", "!=", False)]
    )
    return seconds, booked, labels


class Arm:
    """One endpoint's figures over the rounds."""

    def __init__(self, name, setup):
        self.name, self.setup = name, setup
        # each round runs as many no-op jobs as bookings: ``jobs`` counts both
        self.noop_seconds = self.jobs = self.seconds = 0
        self.booked = self.labels = 0
        self.round_ratios = []

    def round(self, call, pg, count):
        noop = _noop(call, pg, self.setup["channel"], count)
        seconds, booked, labels = _bookings(call, pg, self.setup, count)
        self.noop_seconds += noop
        self.jobs += count
        self.seconds += seconds
        self.booked += booked
        self.labels += labels
        self.round_ratios.append(noop / seconds)

    @property
    def noop_rate(self):
        return self.jobs / self.noop_seconds

    @property
    def rate(self):
        return self.jobs / self.seconds

    def report(self):
        ratios = ", ".join(f"{ratio:.2f}" for ratio in self.round_ratios)
        print(f"{self.name}, channel {self.setup['channel']} (capacity 2)")
        print(f"  no-op queue_job      {self.noop_rate:7.1f} jobs/s ({self.jobs} jobs)")
        print(
            f"  bookings             {self.rate:7.1f} bookings/s ({self.jobs} transfers,"
            f" {self.booked} booked, {self.labels} with their label)"
        )
        print(
            f"  ratio bookings/no-op jobs: {self.rate / self.noop_rate:.2f}"
            f" (rounds: {ratios}; median {statistics.median(self.round_ratios):.2f})"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--conf", required=True, help="the served Odoo's configuration file")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=0, help="the simulator's answer delay")
    parser.add_argument("--karrio", action="store_true", help="also through karrio (UPS fake)")
    parser.add_argument("--karrio-label", choices=("PDF", "ZPL"), default="PDF")
    parser.add_argument("--rounds", type=int, default=4, help="no-op and booking rounds")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    pg = benchdb.connect(args.conf)

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
    fake = None
    try:
        arms = [
            Arm(
                "REST carrier, carrier simulator",
                call(Bench, "bench_carrier_setup", sim_url, "bench-key"),
            )
        ]
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
            setup = call(
                Bench,
                "bench_karrio_setup",
                fake_url,
                "bench",
                "bench-secret",
                label=args.karrio_label,
            )
            arms.append(Arm(f"karrio UPS (fake), {args.karrio_label} labels", setup))
        # warm-up, not counted: the workers' first jobs after the server started are
        # slower (caches, the runner's connections)
        for arm in arms:
            _noop(call, pg, arm.setup["channel"], args.bookings)
        per_round = max(1, args.bookings // args.rounds)
        for _round in range(args.rounds):
            for arm in arms:
                arm.round(call, pg, per_round)
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait(10)
        sim.terminate()
        sim.wait(10)
    print(f"simulator latency {args.latency_ms} ms, {args.rounds} rounds of {per_round}")
    for arm in arms:
        arm.report()
    if len(arms) == 2:
        rest, karrio = arms
        cost = (1000 / karrio.rate) - (1000 / rest.rate)
        print(
            f"karrio against our REST adapter: {karrio.rate / rest.rate:.2f} x the rate,"
            f" {cost:+.1f} ms per booking"
        )


if __name__ == "__main__":
    main()
