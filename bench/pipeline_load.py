#!/usr/bin/env python3
"""Processing rate and end-to-end latency, with the real queue_job runner.

Run by bench/pipeline (which starts the server).  Phases, same run:

1. baseline: N no-op jobs queued at once; jobs done per second;
2. processing, two workloads (``--workload``, both by default), events posted in
   batches of 500, then events processed (applied or superseded) per second until
   the last one; ratio to (1):
   - concentrated: M ``in_transit`` events over the demo's few open deliveries;
   - realistic: ``--transfers`` open deliveries of the bench (created once), a
     chain of 5 milestones each, with ``--duplicates`` re-sent (answered 200),
     the whole stream shuffled; afterwards every transfer must be at the end of
     its chain (the in-order state);
3. latency: single events at a steady rate (default 20/s for 60 s) over the
   realistic workload's transfers (the demo's with ``--workload concentrated``);
   for each, POST start -> applied, by the database clock (a bench addon trigger).
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import time
import uuid
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logistics_sync_base"))
from lib.signature import sign_headers  # noqa: E402


class Bench:
    def __init__(self, args):
        self.args = args
        self.url = f"http://127.0.0.1:{args.port}"
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        self.uid = common.authenticate(args.db, "admin", "admin", {})
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        self.secret = self.call(
            "logistics.endpoint",
            "search_read",
            [("code", "=", "demo-tms")],
            fields=["signing_secret"],
        )[0]["signing_secret"]
        self.refs = [
            row["name"]
            for row in self.call(
                "stock.picking",
                "search_read",
                [
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "not in", ("done", "cancel")),
                    ("origin", "!=", "bench-pipeline"),
                ],
                fields=["name"],
            )
        ]
        self.pg = benchdb.connect(args.conf)
        self.conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        self.unavailable = 0  # 503 answers (sent again)
        # increasing across runs, within the contract's 32-bit range
        self.sequence = (int(time.time()) - 1_790_000_000) * 100

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.args.db, self.uid, "admin", model, method, list(args), kwargs
        )

    def events(self, prefix, count, refs=None, milestone="in_transit"):
        refs = refs or self.refs
        now = datetime.now(tz=UTC)
        out = []
        for index in range(count):
            self.sequence += 1
            out.append(
                {
                    "event_id": f"{prefix}-{index}",
                    "shipment_ref": refs[index % len(refs)],
                    "milestone": milestone,
                    "occurred_at": (now + timedelta(milliseconds=index)).isoformat(),
                    "sequence": self.sequence,
                    "location": {"city": "Lyon", "country": "FR"},
                }
            )
        return out

    def post(self, body, msg_id):
        """POST signed; a 503 (a lock held too long) is sent again after Retry-After,
        as a sender does, and counted."""
        raw = json.dumps(body).encode()
        for _attempt in range(5):
            headers = sign_headers(self.secret, msg_id, raw)
            headers["Content-Type"] = "application/json"
            self.conn.request(
                "POST", "/logistics_sync/v1/events/demo-tms", body=raw, headers=headers
            )
            response = self.conn.getresponse()
            response.read()
            if response.status != 503:
                break
            self.unavailable += 1
            time.sleep(int(response.getheader("Retry-After") or 1))
        assert response.status in (200, 202), response.status

    def processed(self, prefix):
        with self.pg.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM logistics_event WHERE external_id LIKE %s"
                " AND state IN ('applied', 'superseded')",
                (prefix + "-%",),
            )
            return cr.fetchone()[0]

    def wait_processed(self, prefix, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processed(prefix) >= count:
                return
            time.sleep(0.05)
        raise SystemExit(f"{prefix}: only {self.processed(prefix)} of {count} processed")

    def noop_jobs(self, count):
        uuids = self.call("logistics.sync.bench.row", "bench_enqueue_noop", count)
        started = time.perf_counter()
        with self.pg.cursor() as cr:
            while True:
                cr.execute(
                    "SELECT count(*) FROM queue_job WHERE uuid = ANY(%s) AND state = 'done'",
                    (uuids,),
                )
                if cr.fetchone()[0] >= count:
                    break
                time.sleep(0.05)
        return count / (time.perf_counter() - started)

    def processing(self, count):
        prefix = f"proc-{uuid.uuid4().hex[:8]}"
        events = self.events(prefix, count)
        started = time.perf_counter()
        for start in range(0, count, 500):
            self.post(events[start : start + 500], f"{prefix}-{start}")
        ingested = time.perf_counter() - started
        self.wait_processed(prefix, count, timeout=300)
        return count / (time.perf_counter() - started), ingested

    def realistic(self, transfers, duplicates, seed=7):
        """Chains of 5 milestones over ``transfers`` transfers, ``duplicates`` of the
        events sent twice, shuffled; events processed per second, and the check that
        every transfer ends where its in-order chain puts it."""
        refs = self.call("logistics.sync.bench.row", "bench_pipeline_transfers", transfers)
        rng = random.Random(seed)
        prefix = f"real-{uuid.uuid4().hex[:8]}"
        now = datetime.now(tz=UTC)
        events, expected = [], {}
        for number, ref in enumerate(refs):
            start = now - timedelta(minutes=rng.randint(60, 600))
            for step, milestone in enumerate(CHAIN):
                self.sequence += 1
                events.append(
                    {
                        "event_id": f"{prefix}-{number}-{step}",
                        "shipment_ref": ref,
                        "milestone": milestone,
                        "occurred_at": (start + timedelta(minutes=7 * step)).isoformat(),
                        "sequence": self.sequence,
                        "location": {"city": f"Hub {step}", "country": "FR"},
                    }
                )
            expected[ref] = (CHAIN[-1], self.sequence)
        stream = events + rng.sample(events, int(len(events) * duplicates))
        rng.shuffle(stream)
        started = time.perf_counter()
        for start in range(0, len(stream), 500):
            self.post(stream[start : start + 500], f"{prefix}-batch-{start}")
        ingested = time.perf_counter() - started
        self.wait_processed(prefix, len(events), timeout=900)
        rate = len(events) / (time.perf_counter() - started)
        got = self.call(
            "stock.picking",
            "search_read",
            [("name", "in", refs)],
            fields=["name", "logistics_milestone", "logistics_sequence"],
        )
        wrong = [
            row["name"]
            for row in got
            if (row["logistics_milestone"], row["logistics_sequence"]) != expected[row["name"]]
        ]
        with self.pg.cursor() as cr:
            cr.execute(
                "SELECT state, count(*) FROM logistics_event WHERE external_id LIKE %s"
                " GROUP BY state ORDER BY state",
                (prefix + "-%",),
            )
            states = dict(cr.fetchall())
        return {
            "rate": rate,
            "ingested": ingested,
            "events": len(events),
            "sent": len(stream),
            "refs": refs,
            "wrong": wrong,
            "states": states,
        }

    def latency(self, rate, seconds, refs=None):
        prefix = f"lat-{uuid.uuid4().hex[:8]}"
        count = int(rate * seconds)
        # on the realistic transfers: one more out_for_delivery scan (applied)
        events = self.events(prefix, count, refs, CHAIN[-1] if refs else "in_transit")
        posted = {}
        origin = time.perf_counter()
        for index, event in enumerate(events):
            due = origin + index / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            posted[event["event_id"]] = time.time()
            self.post(event, event["event_id"])
        self.wait_processed(prefix, count, timeout=120)
        with self.pg.cursor() as cr:
            cr.execute(
                "SELECT e.external_id, extract(epoch FROM a.applied_clock)"
                " FROM logistics_event e JOIN logistics_sync_bench_applied a ON a.event_id = e.id"
                " WHERE e.external_id LIKE %s",
                (prefix + "-%",),
            )
            latencies = sorted(float(at) - posted[ext_id] for ext_id, at in cr.fetchall())
        return {
            "count": len(latencies),
            "p50": statistics.median(latencies),
            "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "max": latencies[-1],
        }


# the realistic workload's chain (no milestone that waits for the dispatch)
CHAIN = ("booked", "carrier_assigned", "picked_up", "in_transit", "out_for_delivery")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--conf", required=True)
    parser.add_argument("--noop-jobs", type=int, default=500)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workload", choices=("both", "concentrated", "realistic"), default="both")
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    args = parser.parse_args()
    bench = Bench(args)
    noop = bench.noop_jobs(args.noop_jobs)
    print(f"  no-op queue_job           {noop:8.1f} jobs/s ({args.noop_jobs} jobs)")
    refs = None
    if args.workload in ("both", "concentrated"):
        applied, ingested = bench.processing(args.events)
        print(
            f"  concentrated: {args.events} in_transit events over {len(bench.refs)} transfers,"
            f" posted in {ingested:.1f} s"
        )
        print(f"    events processed        {applied:8.1f} events/s")
        print(f"    ratio processing/no-op jobs: {applied / noop:.1f}")
    if args.workload in ("both", "realistic"):
        real = bench.realistic(args.transfers, args.duplicates)
        refs = real["refs"]
        print(
            f"  realistic: {real['events']} events ({len(CHAIN)}-milestone chains over"
            f" {len(refs)} transfers) + {real['sent'] - real['events']} duplicates,"
            f" shuffled, posted in {real['ingested']:.1f} s; event states {real['states']}"
        )
        print(f"    events processed        {real['rate']:8.1f} events/s")
        if bench.unavailable:
            print(f"    {bench.unavailable} POSTs answered 503 and sent again")
        print(f"    ratio processing/no-op jobs: {real['rate'] / noop:.1f}")
        if real["wrong"]:
            print(f"    FAILED: {len(real['wrong'])} transfers not in their in-order state")
            return 1
        print("    every transfer ends in its in-order state")
    lat = bench.latency(args.rate, args.seconds, refs)
    print(
        f"  POST -> applied at {args.rate:g}/s for {args.seconds:g} s"
        f" ({'realistic' if refs else 'concentrated'} transfers): {lat['count']} events,"
        f" p50 {lat['p50'] * 1000:.0f} ms, p99 {lat['p99'] * 1000:.0f} ms,"
        f" max {lat['max'] * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
