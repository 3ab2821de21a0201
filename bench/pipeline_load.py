#!/usr/bin/env python3
"""Processing rate and end-to-end latency, with the real queue_job runner.

Run by bench/pipeline (which starts the server).  Three phases, same run:

1. baseline: N no-op jobs queued at once; jobs done per second;
2. processing: M events posted in batches of 500 (ingestion takes a second or
   two), then events applied per second until the last is applied; ratio to (1);
3. latency: single events at a steady rate (default 20/s for 60 s); for each,
   POST start -> applied, by the database clock (a trigger of the bench addon).
"""

import argparse
import configparser
import http.client
import json
import statistics
import sys
import time
import uuid
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

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
                [("picking_type_code", "=", "outgoing"), ("state", "not in", ("done", "cancel"))],
                fields=["name"],
            )
        ]
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(args.conf)
        options = parser["options"]
        self.pg = psycopg2.connect(
            dbname=options["db_name"],
            host=options.get("db_host") or None,
            port=options.get("db_port") or None,
            user=options.get("db_user") or None,
            password=options.get("db_password") or None,
        )
        self.pg.autocommit = True
        self.conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        # increasing across runs, within the contract's 32-bit range
        self.sequence = (int(time.time()) - 1_790_000_000) * 100

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.args.db, self.uid, "admin", model, method, list(args), kwargs
        )

    def events(self, prefix, count):
        now = datetime.now(tz=UTC)
        out = []
        for index in range(count):
            self.sequence += 1
            out.append(
                {
                    "event_id": f"{prefix}-{index}",
                    "shipment_ref": self.refs[index % len(self.refs)],
                    "milestone": "in_transit",
                    "occurred_at": (now + timedelta(milliseconds=index)).isoformat(),
                    "sequence": self.sequence,
                    "location": {"city": "Lyon", "country": "FR"},
                }
            )
        return out

    def post(self, body, msg_id):
        raw = json.dumps(body).encode()
        headers = sign_headers(self.secret, msg_id, raw)
        headers["Content-Type"] = "application/json"
        self.conn.request("POST", "/logistics_sync/v1/events/demo-tms", body=raw, headers=headers)
        response = self.conn.getresponse()
        response.read()
        assert response.status == 202, response.status

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

    def latency(self, rate, seconds):
        prefix = f"lat-{uuid.uuid4().hex[:8]}"
        count = int(rate * seconds)
        events = self.events(prefix, count)
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--conf", required=True)
    parser.add_argument("--noop-jobs", type=int, default=500)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    bench = Bench(args)
    print(f"transfers: {len(bench.refs)}")
    noop = bench.noop_jobs(args.noop_jobs)
    print(f"  no-op queue_job           {noop:8.1f} jobs/s ({args.noop_jobs} jobs)")
    applied, ingested = bench.processing(args.events)
    print(
        f"  events processed          {applied:8.1f} events/s ({args.events} events,"
        f" posted in {ingested:.1f} s)"
    )
    print(f"  ratio processing/no-op jobs: {applied / noop:.1f}")
    lat = bench.latency(args.rate, args.seconds)
    print(
        f"  POST -> applied at {args.rate:g}/s for {args.seconds:g} s: {lat['count']} events,"
        f" p50 {lat['p50'] * 1000:.0f} ms, p99 {lat['p99'] * 1000:.0f} ms,"
        f" max {lat['max'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
