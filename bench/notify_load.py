#!/usr/bin/env python3
"""Customer notifications: processing a stream of milestone events with notifications
on, against the same stream with them off, in the same run (nothing is kept).

    LS_PGPORT=... .venv/bin/python bench/notify_load.py --conf .local/odoo-run.conf

``--conf``: an Odoo configuration whose database has the addons installed (setup/run's
demo, or any database setup/test or setup/run made; the cluster must be running).
In one transaction, rolled back at the end: ``--rounds`` pairs of runs, off and on in
turn, each on ``--transfers`` fresh outgoing transfers (each with a customer with an
email), storing ``CHAIN`` milestones per transfer (as the webhook does) and processing
them with the endpoint's job code (in-process, batches of ``--limit``).
"On" has every notification kind switched on: each transfer records its pending
notifications and queues its debounce job.  Prints events per second off and on, the
notification jobs queued per second, and the ratio on/off (the target: >= 0.7).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

CHAIN = ("picked_up", "in_transit", "in_transit", "out_for_delivery", "delivered")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", required=True)
    parser.add_argument("--transfers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=500, help="events per processing job")
    args = parser.parse_args()

    odoo_src = os.environ.get("ODOO_SRC") or os.path.expanduser("~/.cache/logistics-sync/odoo-18.0")
    sys.path.insert(0, odoo_src)
    import odoo
    from odoo import SUPERUSER_ID, Command, api

    odoo.tools.config.parse_config(["-c", args.conf])
    registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"])
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company = env.company
        endpoint = env["logistics.endpoint"].create(
            {"name": "Bench notify", "code": "bench-notify", "kind": "carrier"}
        )
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        customers = env.ref("stock.stock_location_customers")
        product = env["product.product"].create({"name": "Bench notify parcel"})

        def make_transfers(tag):
            partners = env["res.partner"].create(
                [
                    {"name": f"Bench customer {tag} {n}", "email": f"bench-{tag}-{n}@example.com"}
                    for n in range(args.transfers)
                ]
            )
            pickings = env["stock.picking"].create(
                [
                    {
                        "picking_type_id": warehouse.out_type_id.id,
                        "partner_id": partner.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "location_dest_id": customers.id,
                        "move_ids": [
                            Command.create(
                                {
                                    "name": product.name,
                                    "product_id": product.id,
                                    "product_uom_qty": 1,
                                    "location_id": warehouse.lot_stock_id.id,
                                    "location_dest_id": customers.id,
                                }
                            )
                        ],
                    }
                    for partner in partners
                ]
            )
            pickings.action_confirm()
            # registered dispatch: "delivered" applies at once
            pickings.write({"state": "done", "date_done": datetime.now()})
            return pickings

        kinds = env["logistics.notify.kind"].search([])
        Event = env["logistics.event"]
        results = {"off": [], "on": []}
        start = datetime.now(tz=UTC) - timedelta(hours=2)
        for round_no in range(args.rounds):
            for mode in ("off", "on"):
                pickings = make_transfers(f"{round_no}-{mode}")  # fresh ones each run
                company.logistics_notify_kind_ids = [Command.set(kinds.ids if mode == "on" else [])]
                events = [
                    {
                        "event_id": f"bn-{round_no}-{mode}-{picking.id}-{step}",
                        "shipment_ref": picking.name,
                        "milestone": milestone,
                        "occurred_at": (start + timedelta(minutes=step)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                        "sequence": step + 1,
                    }
                    for picking in pickings
                    for step, milestone in enumerate(CHAIN)
                ]
                for chunk in range(0, len(events), 500):
                    status, body = Event._ingest(endpoint, events[chunk : chunk + 500])
                    assert status == 202, body
                env.flush_all()
                last_job = env["queue.job"].search([], order="id desc", limit=1).id or 0
                began = time.perf_counter()
                profiler = None
                if os.environ.get("LS_BENCH_PROFILE") == mode:  # and LS_BENCH_PROFILE_OUT: a file
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                while True:
                    claimed = Event._claim_received(endpoint, args.limit)
                    if not claimed:
                        break
                    claimed._process()
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(os.environ["LS_BENCH_PROFILE_OUT"])
                env.flush_all()
                elapsed = time.perf_counter() - began
                queued = env["queue.job"].search_count(
                    [("method_name", "=", "_job_logistics_notify"), ("id", ">", last_job)]
                )
                applied = Event.search_count(
                    [("external_id", "=like", f"bn-{round_no}-{mode}-%"), ("state", "=", "applied")]
                )
                assert applied == len(events), (applied, len(events))
                notes = env["logistics.notification"].search_count(
                    [("picking_id", "in", pickings.ids)]
                )
                assert queued == (len(pickings) if mode == "on" else 0), (
                    mode,
                    queued,
                    notes,
                    last_job,
                )
                results[mode].append((len(events) / elapsed, queued / elapsed, notes / elapsed))
                env.invalidate_all()
        off = statistics.median(rate for rate, _jobs, _notes in results["off"])
        on = statistics.median(rate for rate, _jobs, _notes in results["on"])
        jobs = statistics.median(jobs for _rate, jobs, _notes in results["on"])
        notes = statistics.median(notes for _rate, _jobs, notes in results["on"])
        print(f"{args.transfers} transfers x {len(CHAIN)} milestones, {args.rounds} rounds")
        print(f"events/s, notifications off: {off:.0f}")
        print(
            f"events/s, notifications on:  {on:.0f}  ({notes:.0f} notifications recorded/s, "
            f"{jobs:.0f} debounce jobs queued/s)"
        )
        print(f"ratio on/off: {on / off:.2f} (target >= 0.7)")
        cr.rollback()


if __name__ == "__main__":
    main()
