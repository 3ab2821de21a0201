# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The freight settlement cron in an Odoo process of its own (for
tests/test_live_freight_kill.py, which SIGKILLs it midway):

    python tests/freight_cron.py ODOO_SOURCE CONF DB settle [RUN TRANSFERS BATCH LINES_PER_BILL]

With RUN and the rest, it prepares first: it settles whatever is already approved in
the database (so that the batches that follow are this run's only), then builds
bench/freight's fixtures at a small scale: a carrier with its endpoint and tolerance
rules, ``TRANSFERS`` done transfers with frozen expected costs, one carrier invoice
file of 4 charges per transfer imported by ``logistics.freight.batch._freight_import``
(parsed, matched, audited: approved, or disputed when over tolerance); the settlement
cron's code becomes ``model._cron_settle(limit=BATCH, lines_per_bill=LINES_PER_BILL)``.
It commits, prints {partner_id, cron_id} as JSON on a line and waits for a line on
its standard input (the test looks at the database in between).

Then it runs the cron as Odoo's cron worker does (``ir.cron._process_jobs``), but this
job only: the job is made due and locked in the worker's own transaction (the cron
threads of other servers on the database skip it; nothing wakes them), then
``ir.cron._process_job`` runs its batches, each in a transaction of its own with its
``ir.cron.progress`` row, until ``_notify_progress`` reports nothing remaining.
"""

import json
import random
import sys
import threading
import time
from pathlib import Path

import psycopg2.errors

ROOT = Path(__file__).resolve().parent.parent
CLAIM_ATTEMPTS, CLAIM_PAUSE = 120, 0.5  # seconds: waits a minute at most for the cron


def prepare(registry, api, run, transfers, batch, lines_per_bill):
    sys.path.insert(0, str(ROOT / "bench"))
    import freight_load

    with registry.cursor() as cr:
        env = api.Environment(cr, 1, {"tracking_disable": True})
        while env["logistics.freight.charge"]._cron_settle():
            pass
        cr.commit()
        endpoint = freight_load.make_carrier(env, run, "K")
        names = freight_load.setup_fixtures(env, run, transfers * 4, f"KILL{run}")
        (data,) = freight_load.csv_files(names, f"K{run}", transfers * 4, random.Random(run))
        batch_record = env["logistics.freight.batch"]._freight_import(endpoint, "kill.csv", data)
        assert batch_record.state == "accepted", batch_record.errors
        cron = env.ref("logistics_sync_freight.ir_cron_freight_settle")
        cron.code = f"model._cron_settle(limit={batch}, lines_per_bill={lines_per_bill})"
        cr.commit()
        return {"partner_id": endpoint.freight_partner_id.id, "cron_id": cron.id}


def settle(registry, db_name):
    import odoo

    db = odoo.sql_db.db_connect(db_name)
    threading.current_thread().dbname = db_name
    IrCron = registry["ir.cron"]
    with db.cursor() as cron_cr:
        env = odoo.api.Environment(cron_cr, 1, {})
        cron_id = env.ref("logistics_sync_freight.ir_cron_freight_settle").id
        for _attempt in range(CLAIM_ATTEMPTS):
            # A killed run leaves the cron due: another server's cron thread may be
            # running it (as a cron worker would pick it up again); wait until it is
            # done (our UPDATE then meets its commit: a serialization failure, tried again).
            try:
                cron_cr.execute(
                    "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' WHERE id = %s",
                    [cron_id],
                    log_exceptions=False,
                )
            except psycopg2.errors.SerializationFailure:
                cron_cr.rollback()
                time.sleep(CLAIM_PAUSE)
                continue
            job = IrCron._acquire_one_job(cron_cr, cron_id)
            if job:
                IrCron._process_job(db, cron_cr, job)
                return
            cron_cr.rollback()
            time.sleep(CLAIM_PAUSE)
        raise AssertionError("the settlement cron is inactive or taken")


def main():
    source, conf, db_name, command, *args = sys.argv[1:]
    sys.path.insert(0, source)
    import odoo
    from odoo import api

    odoo.tools.config.parse_config(["-c", conf, "-d", db_name, "--logfile", ""])
    registry = odoo.modules.registry.Registry(db_name)
    assert command == "settle", command
    if args:
        run, transfers, batch, lines_per_bill = args
        print(json.dumps(prepare(registry, api, run, int(transfers), batch, lines_per_bill)))
        sys.stdout.flush()
        sys.stdin.readline()
    settle(registry, db_name)


if __name__ == "__main__":
    main()
