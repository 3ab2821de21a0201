#!/usr/bin/env python3
"""Run by bench/fuzz (which starts the server): N schemathesis cases, signed."""

import argparse
import sys
import time
import uuid
import xmlrpc.client
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webhook_fuzz import fuzz  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    code = f"fuzz-{uuid.uuid4().hex[:8]}"
    endpoint_id = models.execute_kw(
        args.db,
        uid,
        "admin",
        "logistics.endpoint",
        "create",
        [{"name": code, "code": code, "kind": "tms"}],
    )
    secret = models.execute_kw(
        args.db, uid, "admin", "logistics.endpoint", "read", [[endpoint_id], ["signing_secret"]]
    )[0]["signing_secret"]
    started = time.monotonic()

    def progress(done, statuses, failures):
        print(
            f"  {done} cases, {len(failures)} outside the contract, "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )

    statuses, failures = fuzz(url, code, secret, args.cases, seed=args.seed, progress=progress)
    total = sum(statuses.values())
    print(f"\n{total} cases in {time.monotonic() - started:.0f} s against endpoint {code}")
    for status, count in sorted(statuses.items()):
        print(f"  {status}: {count}")
    print(f"5xx answers: {sum(c for s, c in statuses.items() if s >= 500)}")
    print(f"answers outside the contract: {len(failures)}")
    for status, reason, request in failures[:20]:
        print(f"  {status} {reason.splitlines()[0] if reason else ''} <- {request}")
    models.execute_kw(
        args.db, uid, "admin", "logistics.endpoint", "write", [[endpoint_id], {"active": False}]
    )
    sys.exit(1 if failures or total < args.cases * 0.9 else 0)


if __name__ == "__main__":
    main()
