#!/usr/bin/env python3
"""Scripted run against the server setup/run starts: shuffled events with duplicates.

    .venv/bin/python bench/event_stream.py [--events 1000] [--duplicates 0.3] [--url ...]

Sends ``--events`` signed webhook requests to the demo endpoint ``demo-tms``: one
in-order stream of progress events per outgoing transfer, then duplicates (same
content) of ``--duplicates`` of them, all shuffled and posted by 4 concurrent
senders.  It waits for the queue_job runner to process everything, then checks
that every transfer ends in the state the in-order stream gives, that no event
is a dead letter, that each event is stored once, and that each applied event
was applied once (named in exactly one chatter note of its transfer).  Exit 1 on any
difference.  Reads the signing secret as the admin user over XML-RPC.
"""

import argparse
import json
import random
import re
import sys
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logistics_sync_base"))
from lib.signature import sign_headers  # noqa: E402

CHAIN = (
    ["released", "booked", "carrier_assigned", "label_created", "picked_up"]
    + ["in_transit"] * 9
    + ["out_for_delivery"]
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="logistics_sync_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--endpoint", default="demo-tms")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    common = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/common")
    uid = common.authenticate(args.db, args.login, args.password, {})
    models = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *params, **kw):
        return models.execute_kw(args.db, uid, args.password, model, method, list(params), kw)

    endpoint = call(
        "logistics.endpoint",
        "search_read",
        [("code", "=", args.endpoint)],
        fields=["id", "signing_secret"],
    )[0]
    secret = endpoint["signing_secret"]
    unique = round(args.events / (1 + args.duplicates))
    per_picking = len(CHAIN)
    n_pickings = -(-unique // per_picking)
    pickings = call(
        "stock.picking",
        "search_read",
        [("picking_type_code", "=", "outgoing"), ("state", "not in", ("done", "cancel"))],
        fields=["id", "name"],
        limit=n_pickings,
        order="id",
    )
    if len(pickings) < n_pickings:
        # not enough demo transfers: give the existing ones longer streams
        per_picking = -(-unique // max(1, len(pickings)))
    run = datetime.now(UTC).strftime("%H%M%S")
    base = datetime.now(UTC) - timedelta(hours=2)
    events, expected = [], {}
    for picking in pickings:
        for seq in range(1, per_picking + 1):
            if len(events) >= unique:
                break
            milestone = CHAIN[min(seq - 1, len(CHAIN) - 1)]
            events.append(
                {
                    "event_id": f"stream-{run}-{picking['id']}-{seq}",
                    "shipment_ref": picking["name"],
                    "milestone": milestone,
                    "occurred_at": (base + timedelta(minutes=seq)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "sequence": seq,
                    "location": {"city": f"Hub {seq}", "country": "FR"},
                }
            )
            expected[picking["id"]] = (milestone, seq)
    stream = events + [dict(e) for e in rng.sample(events, args.events - len(events))]
    rng.shuffle(stream)
    url = f"{args.url}/logistics_sync/v1/events/{args.endpoint}"
    session = requests.Session()

    def post(event):
        body = json.dumps(event).encode()
        headers = sign_headers(secret, event["event_id"], body)
        headers["Content-Type"] = "application/json"
        for _attempt in range(5):
            response = session.post(url, data=body, headers=headers, timeout=30)
            if response.status_code not in (429, 503):
                return response.status_code
            time.sleep(int(response.headers.get("Retry-After", "1")))
        return response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(post, stream))
    sent = time.monotonic() - started
    counts = {s: statuses.count(s) for s in set(statuses)}
    print(
        f"posted {len(stream)} requests ({len(events)} unique events over {len(pickings)} "
        f"transfers) in {sent:.1f}s: {counts}"
    )

    ids = [e["event_id"] for e in events]
    deadline = time.monotonic() + args.timeout
    while True:
        pending = call(
            "logistics.event",
            "search_count",
            [("external_id", "in", ids), ("state", "in", ("received", "failed"))],
        )
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    done = time.monotonic() - started
    rows = call(
        "logistics.event",
        "search_read",
        [("external_id", "in", ids)],
        fields=["external_id", "state", "picking_id"],
    )
    by_state = {}
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + 1
    problems = []
    if len(rows) != len(ids):
        problems.append(f"{len(rows)} events stored for {len(ids)} unique ids")
    if pending:
        problems.append(f"{pending} events still unprocessed after {args.timeout}s")
    if by_state.get("dead"):
        problems.append(f"{by_state['dead']} dead letters")
    if counts.get(202, 0) + counts.get(200, 0) != len(stream):
        problems.append(f"unexpected answers {counts}")
    result = call(
        "stock.picking",
        "read",
        list(expected),
        ["logistics_milestone", "logistics_sequence", "message_ids"],
    )
    for picking in result:
        want = expected[picking["id"]]
        got = (picking["logistics_milestone"], picking["logistics_sequence"])
        if got != want:
            problems.append(f"transfer {picking['id']}: {got} instead of {want}")
    # applied once: each applied event is named in exactly one chatter line of its
    # transfer (a note lists the events one job applied to it), and no other event is
    applied = {row["external_id"] for row in rows if row["state"] == "applied"}
    messages = call(
        "mail.message",
        "search_read",
        [
            ("model", "=", "stock.picking"),
            ("res_id", "in", list(expected)),
            ("body", "ilike", f"stream-{run}-"),
        ],
        fields=["body"],
    )
    named = {}
    for message in messages:
        for ext_id in re.findall(rf"event (stream-{run}-[0-9]+-[0-9]+),", message["body"]):
            named[ext_id] = named.get(ext_id, 0) + 1
    for ext_id in sorted(applied | set(named)):
        want = 1 if ext_id in applied else 0
        if named.get(ext_id, 0) != want:
            problems.append(f"event {ext_id}: in {named.get(ext_id, 0)} notes, expected {want}")
    print(f"processed in {done:.1f}s after the first post; event states: {by_state}")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems[:30]))
        return 1
    print(
        f"OK: {len(expected)} transfers end as the in-order stream, no dead letter, "
        f"each event stored once and applied at most once"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
