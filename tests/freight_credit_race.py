# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Two credits at once on the same billed freight charge, in an Odoo process of its
own (for tests/test_live_freight_credit.py):

    python tests/freight_credit_race.py ODOO_SOURCE CONF DB RUN

Prepares and commits bench/freight's fixtures at the smallest scale (a carrier with
its endpoint and purchase journal, one done transfer, its carrier invoice imported,
audited and billed) and a Billing user (``account.group_account_invoice``, no
Logistics Sync group). Then two threads, each with its own cursor (two PostgreSQL
sessions), credit the fuel charge (10.00 billed) as that user: the first credits 6.00
and keeps its transaction open until the second has asked for 6.00 too and is seen
waiting in PostgreSQL (on the charge's row lock), then commits; the second, run again
on its serialization failure as Odoo's RPC layer does, sees the first credit. Prints
one JSON line: each thread's outcome and the credits stored."""

import json
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CREDIT = 6.0
WAIT_ATTEMPTS, WAIT_PAUSE = 600, 0.05


def prepare(registry, api, run):
    sys.path.insert(0, str(ROOT / "bench"))
    import freight_load

    with registry.cursor() as cr:
        env = api.Environment(cr, 1, {"tracking_disable": True})
        endpoint = freight_load.make_carrier(env, run, "R")
        names = freight_load.setup_fixtures(env, run, 4, f"RACE{run}")
        (data,) = freight_load.csv_files(names, f"R{run}", 4, random.Random(1))
        batch = env["logistics.freight.batch"]._freight_import(endpoint, "race.csv", data)
        assert batch.state == "accepted", batch.errors
        fuel = batch.invoice_ids.charge_ids.filtered(lambda c: c.charge_type_id.code == "fuel")
        env["logistics.freight.charge"]._cron_settle()
        assert fuel.state == "billed" and fuel.approved_amount == 10.0, fuel.read()
        biller = env["res.users"].create(
            {
                "name": f"Race biller {run}",
                "login": f"race-biller-{run}",
                "email": f"race-biller-{run}@example.com",
                "groups_id": [(6, 0, [env.ref("account.group_account_invoice").id])],
            }
        )
        cr.commit()
        return fuel.id, biller.id


def credit(registry, api, charge_id, user_id, label, outcome, ready, release):
    """Credit CREDIT on the charge as the user, in a transaction run again on a
    serialization failure (as Odoo's RPC layer does); the first keeps its
    transaction open (``ready`` set once it credited) until ``release``."""
    import psycopg2

    from odoo.exceptions import UserError

    for attempt in range(1, 6):
        with registry.cursor() as cr:
            cr.execute("SELECT pg_backend_pid()")
            outcome["pid"] = cr.fetchone()[0]
            env = api.Environment(cr, user_id, {})
            charge = env["logistics.freight.charge"].browse(charge_id)
            try:
                charge._freight_credit(CREDIT, f"credit {label}")
                env.flush_all()
                outcome["result"] = "credited"
            except psycopg2.errors.SerializationFailure:
                cr.rollback()
                outcome["serialization_failures"] = attempt
                continue
            except UserError as error:
                outcome["result"] = "refused"
                outcome["message"] = str(error)
                cr.rollback()
            if ready is not None:
                ready.set()
                release.wait(60)
            cr.commit()
            return


def waiting_on_lock(registry, pid):
    with registry.cursor() as cr:
        cr.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cr.fetchone()
        return bool(row and row[0])


def main():
    source, conf, db_name, run = sys.argv[1:]
    sys.path.insert(0, source)
    import odoo
    from odoo import api

    odoo.tools.config.parse_config(["-c", conf, "-d", db_name, "--logfile", ""])
    registry = odoo.modules.registry.Registry(db_name)
    charge_id, user_id = prepare(registry, api, run)
    first, second = {}, {}
    ready, release = threading.Event(), threading.Event()
    one = threading.Thread(
        target=credit, args=(registry, api, charge_id, user_id, "A", first, ready, release)
    )
    one.start()
    assert ready.wait(60), "the first credit did not happen"
    two = threading.Thread(
        target=credit, args=(registry, api, charge_id, user_id, "B", second, None, None)
    )
    two.start()
    seen_waiting = False
    for _attempt in range(WAIT_ATTEMPTS):
        if second.get("pid") and waiting_on_lock(registry, second["pid"]):
            seen_waiting = True
            break
        if not two.is_alive():
            break
        time.sleep(WAIT_PAUSE)
    release.set()
    one.join(60)
    two.join(60)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*), coalesce(sum(-amount), 0) FROM logistics_freight_charge"
            " WHERE parent_id = %s",
            [charge_id],
        )
        count, credited = cr.fetchone()
    print(
        json.dumps(
            {
                "first": first.get("result"),
                "second": second.get("result"),
                "second_message": second.get("message", ""),
                "second_waited": seen_waiting,
                "second_serialization_failures": second.get("serialization_failures", 0),
                "credits": count,
                "credited": float(credited),
            }
        )
    )


if __name__ == "__main__":
    main()
