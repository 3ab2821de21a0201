#!/usr/bin/env python3
"""Profile processing jobs in-process on the realistic workload (nothing is kept).

    .venv/bin/pip install pyinstrument   # a profiling tool, not a requirement
    LS_PGPORT=... .venv/bin/python bench/profile_processing.py --conf .local/odoo-bench-pipeline.conf

Run bench/pipeline once first (it writes that configuration and creates the bench's
transfers); the cluster must be running (bench/pipeline stops one it started).  Stores chains of 5 milestones for ``--transfers`` transfers, shuffled,
as the webhook does, then runs ``--jobs`` processing jobs of the endpoint under
pyinstrument, prints the time per event and the profile, and rolls everything back.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_load import CHAIN  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=500, help="events per job")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()

    odoo_src = os.environ.get("ODOO_SRC") or os.path.expanduser("~/.cache/logistics-sync/odoo-18.0")
    sys.path.insert(0, odoo_src)  # as setup/lib.sh finds it
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", args.conf])
    db = odoo.tools.config["db_name"]
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Bench = env["logistics.sync.bench.row"]
        refs = Bench.bench_pipeline_transfers(args.transfers)
        endpoint = env["logistics.endpoint"].search([("code", "=", "demo-tms")])
        cr.execute("DELETE FROM logistics_event")
        rng = random.Random(7)
        now = datetime.now(tz=UTC)
        events = []
        for number, ref in enumerate(refs):
            start = now - timedelta(minutes=rng.randint(60, 600))
            for step, milestone in enumerate(CHAIN):
                events.append(
                    {
                        "event_id": f"prof-{number}-{step}",
                        "shipment_ref": ref,
                        "milestone": milestone,
                        "occurred_at": (start + timedelta(minutes=7 * step)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                        "sequence": number * 10 + step,
                        "location": {"city": f"Hub {step}", "country": "FR"},
                    }
                )
        rng.shuffle(events)
        Event = env["logistics.event"]
        for start in range(0, len(events), 500):
            Event._ingest(endpoint, events[start : start + 500])
        env.flush_all()
        env.invalidate_all()
        profiler = None
        if not args.no_profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        started = time.perf_counter()
        done = 0
        for _job in range(args.jobs):
            claimed = len(Event._claim_received(endpoint, args.limit))
            env.invalidate_all()
            endpoint._job_process_pending(limit=args.limit)
            env.flush_all()
            done += claimed
        elapsed = time.perf_counter() - started
        if profiler:
            profiler.stop()
        print(
            f"{done} events in {args.jobs} jobs: {elapsed:.2f} s, "
            f"{1000 * elapsed / max(done, 1):.2f} ms per event"
        )
        if profiler:
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        cr.rollback()


if __name__ == "__main__":
    main()
