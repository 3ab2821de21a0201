#!/usr/bin/env python3
"""Run by bench/flood: page load idle vs under a flood of 401/413/429 answers."""

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
import xmlrpc.client
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logistics_sync_base"))
from lib.signature import sign_headers  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--db", default="logistics_sync_bench")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flooders", type=int, default=6)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")

    def call(model, method, *a, **kw):
        return models.execute_kw(args.db, uid, "admin", model, method, list(a), kw)

    code = f"flood-{uuid.uuid4().hex[:6]}"
    endpoint_id = call(
        "logistics.endpoint",
        "create",
        {"name": code, "code": code, "kind": "tms", "rate_limit_per_minute": 10, "max_body_kb": 16},
    )
    secret = call("logistics.endpoint", "read", [endpoint_id], ["signing_secret"])[0][
        "signing_secret"
    ]
    user = requests.Session()
    user.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": args.db, "login": "admin", "password": "admin"}},
        timeout=30,
    ).raise_for_status()

    def page_load():
        started = time.perf_counter()
        user.get(f"{url}/odoo/inventory", timeout=60).raise_for_status()
        user.post(
            f"{url}/web/dataset/call_kw/stock.picking/web_search_read",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "model": "stock.picking",
                    "method": "web_search_read",
                    "args": [],
                    "kwargs": {
                        "domain": [],
                        "specification": {
                            "name": {},
                            "state": {},
                            "partner_id": {"fields": {"display_name": {}}},
                        },
                        "limit": 80,
                    },
                },
            },
            timeout=60,
        ).raise_for_status()
        return time.perf_counter() - started

    def loads(n=15):
        page_load()
        return statistics.median(page_load() for _ in range(n))

    body = json.dumps(
        {
            "event_id": "x",
            "shipment_ref": "X",
            "milestone": "booked",
            "occurred_at": "2026-11-26T08:00:00Z",
        }
    ).encode()
    big = b'{"pad": "' + b"x" * (64 * 1024) + b'"}'
    path = f"{url}/logistics_sync/v1/events/{code}"
    answers, stop, lock = Counter(), threading.Event(), threading.Lock()

    def flood(kind):
        session = requests.Session()
        while not stop.is_set():
            if kind == 401:
                headers = sign_headers("whsec_" + "A" * 43 + "=", "x", body)
                data = body
            elif kind == 413:
                headers, data = sign_headers(secret, "x", b"{}"), big
            else:
                headers, data = sign_headers(secret, f"r-{uuid.uuid4()}", body), body
            headers["Content-Type"] = "application/json"
            try:
                status = session.post(path, data=data, headers=headers, timeout=30).status_code
            except requests.RequestException:
                status = "error"
            with lock:
                answers[status] += 1

    idle = loads()
    threads = [
        threading.Thread(target=flood, args=((401, 413, 429)[i % 3],), daemon=True)
        for i in range(args.flooders)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    flooded = loads()
    stop.set()
    for thread in threads:
        thread.join(timeout=40)
    idle2 = loads()
    base = (idle + idle2) / 2
    print(
        f"page load (web client + 80 transfers), median of 15: idle {idle * 1000:.0f} ms, "
        f"flooded {flooded * 1000:.0f} ms, idle again {idle2 * 1000:.0f} ms"
    )
    print(f"flood answers: {dict(answers)}")
    print(f"ratio flooded/idle: {flooded / base:.2f} (target <= 2.0)")
    call("logistics.endpoint", "write", [endpoint_id], {"active": False})


if __name__ == "__main__":
    main()
