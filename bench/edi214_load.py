#!/usr/bin/env python3
"""X12 214 status sets against the JSON batch webhook, with the real queue_job runner.

Run by bench/edi214 (which starts the server).  Same run, same endpoint (so the same
job channel), the same canonical events on two sets of open transfers of the bench:

1. baseline: ``--sets`` events POSTed to the JSON batch webhook, signed as the
   contract says, in batches of ``--batch``; timed from the first request until every
   event is applied (or superseded by a later one of its transfer);
2. 214: one interchange holding ``--sets`` transaction sets (one shipment, one AT7
   status each: the events of (1), other ids) written to the folder endpoint's inbox;
   timed from the pick-up cron (it queues the receive job) until every event is applied
   and the 997 lies in the outbox.  The receive job's own time (read, check, map,
   ingest, 997) is shown apart.

Prints events per second of each and the ratio 214 / JSON (issue 23: at least 0.5).
"""

import argparse
import http.client
import json
import os
import sys
import time
import uuid
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logistics_sync_base"))
from lib.signature import sign_headers  # noqa: E402

CODE = "bench-edi"
PICKUP_CRON = ("logistics_sync_base", "ir_cron_logistics_file_pickup")
ISA = (
    "ISA*00*          *00*          *02*BNCH           *ZZ*WIDGETS        *{date6}*{hhmm}*U*"
    "00401*{control}*0*T*>~\n"
)


class Bench:
    def __init__(self, args):
        self.args = args
        self.url = f"http://127.0.0.1:{args.port}"
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        self.uid = common.authenticate(args.db, "admin", "admin", {})
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        self.pg = benchdb.connect(args.conf)
        self.conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=300)
        self.folder = Path(args.folder)
        self.secret = uuid.uuid4().hex
        self.endpoint_id = self.setup_endpoint()
        self.unavailable = 0

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.args.db, self.uid, "admin", model, method, list(args), kwargs
        )

    def setup_endpoint(self):
        """One endpoint for both: a signed webhook and an X12 folder channel."""
        values = {
            "name": "Bench EDI carrier",
            "kind": "carrier",
            "active": True,
            "signing_secret": self.secret,
            "rate_limit_per_minute": 0,
            "file_transport": "folder",
            "file_format": "x12",
            "file_inbound_path": str(self.folder / "in"),
            "file_outbound_path": str(self.folder / "out"),
            "file_min_age_seconds": 0,
            "file_max_bytes": 200_000_000,
            "edi_isa_qualifier_partner": "02",
            "edi_isa_id_partner": "BNCH",
            "edi_isa_qualifier_own": "ZZ",
            "edi_isa_id_own": "WIDGETS",
            "edi_usage": "T",
            "edi_send_997": True,
        }
        found = self.call(
            "logistics.endpoint",
            "search",
            [("code", "=", CODE)],
            context={"active_test": False},
        )
        if found:
            self.call("logistics.endpoint", "write", found, values)
            endpoint_id = found[0]
        else:
            endpoint_id = self.call("logistics.endpoint", "create", dict(values, code=CODE))
        self.call("logistics.endpoint", "action_edi_load_standard_codes", [endpoint_id])
        return endpoint_id

    def events(self, prefix, refs, count, base):
        """``count`` in-transit statuses, round robin over ``refs``, each transfer's
        later than its previous one: what a 214 set below becomes, as JSON."""
        out = []
        for index in range(count):
            out.append(
                {
                    "event_id": f"{prefix}-{index}",
                    "shipment_ref": refs[index % len(refs)],
                    "milestone": "in_transit",
                    "occurred_at": (base + timedelta(seconds=index // len(refs))).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    "carrier": "BNCH",
                    "source_status": "X6/NS",
                    "location": {"city": "Chicago", "country": "US"},
                }
            )
        return out

    def x12_file(self, control, refs, count, base):
        """One interchange, one group, ``count`` 214 sets (one B10 shipment, one LX,
        one AT7 X6 status with its MS1 city each)."""
        now = datetime.now(tz=UTC)
        parts = [
            ISA.format(date6=now.strftime("%y%m%d"), hhmm=now.strftime("%H%M"), control=control),
            f"GS*QM*BNCH*WIDGETS*{now:%Y%m%d}*{now:%H%M}*{int(control)}*X*004010~\n",
        ]
        for index in range(count):
            st = f"{index + 1:04d}"
            at = base + timedelta(seconds=index // len(refs))
            parts.append(
                f"ST*214*{st}~\nB10*PRO{index}*{refs[index % len(refs)]}*BNCH~\nLX*1~\n"
                f"AT7*X6*NS***{at:%Y%m%d}*{at:%H%M%S}*UT~\nMS1*CHICAGO*IL*USA~\nSE*6*{st}~\n"
            )
        parts.append(f"GE*{count}*{int(control)}~\nIEA*1*{control}~\n")
        return "".join(parts).encode()

    def post(self, body, msg_id):
        raw = json.dumps(body).encode()
        for _attempt in range(5):
            headers = sign_headers(self.secret, msg_id, raw)
            headers["Content-Type"] = "application/json"
            self.conn.request(
                "POST", f"/logistics_sync/v1/events/{CODE}", body=raw, headers=headers
            )
            response = self.conn.getresponse()
            text = response.read()
            if response.status != 503:
                break
            self.unavailable += 1
            time.sleep(int(response.getheader("Retry-After") or 1))
        assert response.status in (200, 202), (response.status, text[:500])

    def states(self, like):
        with self.pg.cursor() as cr:
            cr.execute(
                "SELECT state, count(*) FROM logistics_event WHERE endpoint_id = %s"
                " AND external_id LIKE %s GROUP BY state ORDER BY state",
                (self.endpoint_id, like),
            )
            return dict(cr.fetchall())

    def wait_processed(self, like, count, timeout, extra=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = extra is None or extra()  # polled every time (it may time a step)
            states = self.states(like)
            if states.get("applied", 0) + states.get("superseded", 0) >= count and done:
                return states
            time.sleep(0.2)
        raise SystemExit(f"{like}: not all {count} processed in {timeout} s: {self.states(like)}")

    def baseline(self, refs, count, base):
        prefix = f"json-{uuid.uuid4().hex[:8]}"
        events = self.events(prefix, refs, count, base)
        started = time.perf_counter()
        for start in range(0, count, self.args.batch):
            self.post(events[start : start + self.args.batch], f"{prefix}-b{start}")
        posted = time.perf_counter() - started
        states = self.wait_processed(prefix + "-%", count, self.args.timeout)
        return {"seconds": time.perf_counter() - started, "posted": posted, "states": states}

    def edi(self, refs, count, base):
        control = f"{uuid.uuid4().int % 10**9:09d}"
        data = self.x12_file(control, refs, count, base)
        inbox, outbox = self.folder / "in", self.folder / "out"
        before = set(os.listdir(outbox))
        # written under a hidden name, then renamed: the pick-up never takes it half written
        (inbox / ".bench.part").write_bytes(data)
        name = f"bench_214_{control}.x12"
        os.rename(inbox / ".bench.part", inbox / name)
        [cron_id] = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", PICKUP_CRON[0]), ("name", "=", PICKUP_CRON[1])],
            fields=["res_id"],
        )
        started = time.perf_counter()
        self.call("ir.cron", "method_direct_trigger", [cron_id["res_id"]])
        received = {}

        def acknowledged():
            if "at" not in received:
                rows = self.call(
                    "logistics.edi.exchange",
                    "search_read",
                    [("endpoint_id", "=", self.endpoint_id), ("interchange_control", "=", control),
                     ("direction", "=", "in")],
                    fields=["state", "ack_status", "error_summary"],
                )  # fmt: skip
                if rows and rows[0]["state"] in ("processed", "error"):
                    received["at"] = time.perf_counter()
                    received["row"] = rows[0]
            return set(os.listdir(outbox)) - before and "at" in received

        states = self.wait_processed(f"x12/{control}/%", count, self.args.timeout, acknowledged)
        seconds = time.perf_counter() - started
        [ack_name] = sorted(set(os.listdir(outbox)) - before)
        ack = (outbox / ack_name).read_text()
        return {
            "seconds": seconds,
            "received": received["at"] - started,
            "exchange": received["row"],
            "states": states,
            "bytes": len(data),
            "ack": next((seg for seg in ack.split("~") if seg.strip().startswith("AK9")), "?"),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="lsync_bench_edi")
    parser.add_argument("--conf", required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--sets", type=int, default=2000, help="status sets (= events) per arm")
    parser.add_argument("--transfers", type=int, default=1000, help="open transfers per arm")
    parser.add_argument("--batch", type=int, default=500, help="events per webhook request")
    parser.add_argument("--timeout", type=int, default=7200)
    args = parser.parse_args()
    bench = Bench(args)
    transfers = min(args.transfers, args.sets)
    refs = bench.call("logistics.sync.bench.row", "bench_pipeline_transfers", 2 * transfers)
    json_refs, edi_refs = refs[:transfers], refs[transfers:]
    base = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(days=2)
    print(f"  {args.sets} in-transit statuses per arm over {transfers} open transfers each")
    js = bench.baseline(json_refs, args.sets, base)
    json_rate = args.sets / js["seconds"]
    print(
        f"  JSON batch webhook ({args.batch}/request): posted in {js['posted']:.1f} s, all"
        f" applied after {js['seconds']:.1f} s: {json_rate:8.1f} events/s  {js['states']}"
    )
    if bench.unavailable:
        print(f"    {bench.unavailable} POSTs answered 503 and sent again")
    edi = bench.edi(edi_refs, args.sets, base)
    edi_rate = args.sets / edi["seconds"]
    print(
        f"  X12 214 file ({args.sets} sets, {edi['bytes'] / 1e6:.1f} MB) through the folder"
        f" channel: received and acknowledged (exchange {edi['exchange']['state']}) after"
        f" {edi['received']:.1f} s, all applied after {edi['seconds']:.1f} s:"
        f" {edi_rate:8.1f} events/s  {edi['states']}"
    )
    print(f"    997: {edi['ack'].strip()}")
    print(f"  ratio 214 / JSON webhook: {edi_rate / json_rate:.2f} (target >= 0.5)")
    return 0 if edi["exchange"]["state"] == "processed" else 1


if __name__ == "__main__":
    sys.exit(main())
