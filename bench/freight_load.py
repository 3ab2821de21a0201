# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Freight audit and pay at volume, in process, against a one-ORM-call-per-line baseline.

Run by ``bench/freight`` (which prepares the database). One run:

1. fixtures, not timed: done transfers (``--lines`` / 4 of them, inserted in bulk)
   with frozen expected costs (base freight and fuel), two carriers with an endpoint
   each, tolerance rules (5 % or 10 on freight; liftgates and residential deliveries
   allowed), carrier invoice files of ``--file-lines`` lines (4 charges per transfer,
   100 lines per carrier invoice, 1 base charge in 50 over tolerance); with
   ``--input-vat`` the charge types' products carry the company's purchase tax (15 %
   in the generic chart), on both sides, otherwise no tax;
2. ours, timed: every file imported (parsed, matched, stored, audited) with
   ``logistics.freight.batch._freight_import``, one commit per file, then the
   settlement cron's batches (``_cron_settle``) until nothing is left, one commit
   per batch;
3. the baseline, timed, on ``--baseline-lines`` lines of the same shape: per line, a
   search for the transfer, a search or create of the carrier invoice, one
   ``create`` of the charge, a search of the expected cost and one ``write`` of the
   audit result; then bills of ``--lines-per-bill`` lines, each one ORM ``create``
   with a line command per charge, a post, and one ``write`` per charge;
4. both rates (lines per second) and their ratio; checks that every approved
   charge is on exactly one bill line.
"""

import argparse
import os
import random
import sys
import time
from datetime import date

TYPES = ("base", "fuel", "liftgate", "residential")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo", required=True, help="Odoo source tree")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--file-lines", type=int, default=10_000)
    parser.add_argument("--baseline-lines", type=int, default=2_000)
    parser.add_argument("--lines-per-bill", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=5_000, help="charges per cron batch")
    parser.add_argument(
        "--input-vat",
        action="store_true",
        help="the charge types' products carry the company's purchase tax (both sides)",
    )
    return parser.parse_args()


def setup_fixtures(env, run, lines, prefix):
    """Done transfers with expected costs, inserted in bulk; returns their names."""
    from odoo.tools import SQL

    count = lines // len(TYPES)
    company = env.company
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    customer = env["res.partner"].create(
        {"name": f"Bench customer {run}", "country_id": env.ref("base.it").id}
    )
    names = [f"{prefix}/{run}/{i:06d}" for i in range(count)]
    env.cr.execute(
        SQL(
            """INSERT INTO stock_picking (name, state, picking_type_id, location_id,
                      location_dest_id, company_id, partner_id, move_type, date_done,
                      scheduled_date, create_date, write_date, create_uid, write_uid)
               SELECT n, 'done', %s, %s, %s, %s, %s, 'direct', now(), now(), now(), now(), 1, 1
                 FROM unnest(%s::varchar[]) AS n RETURNING id""",
            warehouse.out_type_id.id,
            warehouse.lot_stock_id.id,
            env.ref("stock.stock_location_customers").id,
            company.id,
            customer.id,
            names,
        )
    )
    picking_ids = [row[0] for row in env.cr.fetchall()]
    env.cr.execute(
        SQL(
            """INSERT INTO logistics_freight_expected (picking_id, company_id, currency_id, date,
                      source, amount_total, amount_company, create_date, write_date,
                      create_uid, write_uid)
               SELECT p, %s, %s, %s, 'manual', 110, 110, now(), now(), 1, 1
                 FROM unnest(%s::int4[]) AS p RETURNING id""",
            company.id,
            company.currency_id.id,
            date.today(),
            picking_ids,
        )
    )
    expected_ids = [row[0] for row in env.cr.fetchall()]
    base = env.ref("logistics_sync_freight.charge_type_base").id
    fuel = env.ref("logistics_sync_freight.charge_type_fuel").id
    env.cr.execute(
        SQL(
            """INSERT INTO logistics_freight_expected_line (expected_id, company_id, picking_id,
                      charge_type_id, amount, amount_company, create_date, write_date,
                      create_uid, write_uid)
               SELECT e, %s, p, t.type, t.amount, t.amount, now(), now(), 1, 1
                 FROM unnest(%s::int4[], %s::int4[]) AS u(e, p),
                      (VALUES (%s, 100.0), (%s, 10.0)) AS t(type, amount)""",
            company.id,
            expected_ids,
            picking_ids,
            base,
            fuel,
        )
    )
    env.cr.execute(SQL("ANALYZE stock_picking"))
    return names


def csv_files(names, carrier_tag, file_lines, rng):
    """Carrier invoice files (bytes) for these transfers: 4 charges each."""
    header = "invoice_number,invoice_date,currency,shipment_ref,tracking_ref,charge_type,amount,quantity,description\n"
    rows, files, invoice, in_invoice = [], [], 0, 0
    today = date.today().isoformat()
    for name in names:
        if in_invoice == 0:
            invoice += 1
        base = 100.0 if rng.random() > 0.02 else 130.0
        for code, amount in zip(TYPES, (base, 10.0, 35.0, 12.5), strict=True):
            rows.append(f"{carrier_tag}-{invoice:06d},{today},USD,{name},,{code},{amount},1,\n")
        in_invoice = (in_invoice + 4) % 100
        if len(rows) >= file_lines and in_invoice == 0:
            files.append((header + "".join(rows)).encode())
            rows = []
    if rows:
        files.append((header + "".join(rows)).encode())
    return files


def make_carrier(env, run, tag):
    partner = env["res.partner"].create({"name": f"Bench carrier {tag} {run}"})
    endpoint = env["logistics.endpoint"].create(
        {
            "name": f"Bench freight {tag} {run}",
            "code": f"bench-freight-{tag.lower()}-{run}",
            "kind": "carrier",
            "freight_partner_id": partner.id,
            "freight_journal_id": env["account.journal"]
            .search([("type", "=", "purchase"), ("company_id", "=", env.company.id)], limit=1)
            .id,
            "unknown_ref_wait_minutes": 60,
        }
    )
    Tolerance = env["logistics.freight.tolerance"]
    Tolerance.create(
        [
            {"name": "bench 5 % or 10", "partner_id": partner.id, "amount": 10, "percent": 5},
            *[
                {
                    "name": f"bench {code}",
                    "partner_id": partner.id,
                    "charge_type_id": env.ref(f"logistics_sync_freight.charge_type_{code}").id,
                    "allow_accessorial": True,
                }
                for code in ("liftgate", "residential")
            ],
        ]
    )
    return endpoint


def ours(registry, api, endpoint_ids, files, args):
    """Import every file (one commit each), then settle (one commit per batch)."""
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, 1, {"tracking_disable": True})
        Batch = env["logistics.freight.batch"]
        for index, (endpoint_id, data) in enumerate(files):
            batch = Batch._freight_import(
                env["logistics.endpoint"].browse(endpoint_id), f"bench-{index}.csv", data
            )
            assert batch.state == "accepted", batch.errors
            cr.commit()
        imported = time.perf_counter()
        bills = 0
        # as the cron worker runs it (cron_id in the context): one batch a call
        Charge = env["logistics.freight.charge"].with_context(cron_id=False)
        while True:
            moves = Charge._cron_settle(limit=args.batch, lines_per_bill=args.lines_per_bill)
            cr.commit()
            if not moves:
                break
            bills += len(moves)
        settled = time.perf_counter()
    return imported - started, settled - imported, bills


def baseline(registry, api, endpoint_id, names, args):
    """The same work with one ORM call per line (see the module's docstring)."""
    from odoo import Command

    from odoo.addons.logistics_sync_freight.lib import audit

    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, 1, {"tracking_disable": True})
        endpoint = env["logistics.endpoint"].browse(endpoint_id)
        Picking, Invoice = env["stock.picking"], env["logistics.freight.invoice"]
        Charge = env["logistics.freight.charge"]
        Expected = env["logistics.freight.expected.line"]
        types = {t.code: t for t in env["logistics.freight.charge.type"].search([])}
        rules = env["logistics.freight.tolerance"]._rules_by_company([env.company.id])
        usd = env.company.currency_id
        charges, invoice, count = [], None, 0
        for name in names:
            for code, amount in zip(TYPES, (100.0, 10.0, 35.0, 12.5), strict=True):
                if count % 100 == 0:
                    number = f"BASE-{endpoint_id}-{count // 100:06d}"
                    invoice = Invoice.search(
                        [("endpoint_id", "=", endpoint.id), ("name", "=", number)]
                    ) or Invoice.create(
                        {
                            "name": number,
                            "endpoint_id": endpoint.id,
                            "company_id": endpoint.company_id.id,
                            "partner_id": endpoint.freight_partner_id.id,
                            "date": date.today(),
                            "currency_id": usd.id,
                        }
                    )
                count += 1
                picking = Picking.search([("name", "=", name)], limit=1)
                charge = Charge.create(
                    {
                        "invoice_id": invoice.id,
                        "company_id": invoice.company_id.id,
                        "partner_id": invoice.partner_id.id,
                        "endpoint_id": endpoint.id,
                        "date": invoice.date,
                        "currency_id": usd.id,
                        "picking_id": picking.id,
                        "shipment_ref": name,
                        "charge_type_id": types[code].id,
                        "amount": amount,
                    }
                )
                expected = Expected.search(
                    [("picking_id", "=", picking.id), ("charge_type_id", "=", types[code].id)]
                )
                rule = audit.best_rule(
                    rules[env.company.id], invoice.partner_id.id, types[code].id, None, None
                )
                state, reason = audit.decide(
                    amount,
                    expected.amount_company if expected else None,
                    rule,
                    types[code].accessorial,
                )
                charge.write(
                    {
                        "state": state,
                        "audit_reason": reason,
                        "amount_company": amount,
                        "approved_amount": amount if state == "approved" else 0.0,
                    }
                )
                charges.append(charge)
        journal = env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", env.company.id)], limit=1
        )
        audited = time.perf_counter()
        approved = [c for c in charges if c.state == "approved"]
        # bills of up to --lines-per-bill lines, each created by one ORM ``create``
        # with a line command per charge (creating bill lines one by one with
        # account.move.line.create re-synchronises the whole bill each time:
        # several times slower still: 6.5 lines/s in all, measured on 100 lines)
        for start in range(0, len(approved), args.lines_per_bill):
            chunk = approved[start : start + args.lines_per_bill]
            move = env["account.move"].create(
                {
                    "move_type": "in_invoice",
                    "partner_id": endpoint.freight_partner_id.id,
                    "journal_id": journal.id,
                    "invoice_date": date.today(),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": charge.charge_type_id.product_id.id,
                                "name": charge.shipment_ref,
                                "quantity": 1,
                                "price_unit": charge.approved_amount,
                                **({} if args.input_vat else {"tax_ids": [Command.clear()]}),
                                "logistics_freight_charge_id": charge.id,
                            }
                        )
                        for charge in chunk
                    ],
                }
            )
            move.action_post()
            for line in move.invoice_line_ids:
                line.logistics_freight_charge_id.write(
                    {"state": "billed", "move_id": move.id, "move_line_id": line.id}
                )
        cr.commit()
    ended = time.perf_counter()
    return ended - started, audited - started, ended - audited


def check(registry, api, endpoint_ids):
    """Every approved charge of ours on exactly one bill line; counts by state."""
    from odoo.tools import SQL

    with registry.cursor() as cr:
        cr.execute(
            SQL(
                """SELECT c.state, count(*), count(l.id), count(DISTINCT l.id)
                     FROM logistics_freight_charge c
                LEFT JOIN account_move_line l ON l.logistics_freight_charge_id = c.id
                    WHERE c.endpoint_id = ANY(%s) GROUP BY c.state ORDER BY c.state""",
                endpoint_ids,
            )
        )
        rows = cr.fetchall()
        cr.execute(
            SQL(
                """SELECT count(*) FROM (SELECT logistics_freight_charge_id FROM account_move_line
                    WHERE logistics_freight_charge_id IS NOT NULL
                 GROUP BY 1 HAVING count(*) > 1) d"""
            )
        )
        twice = cr.fetchone()[0]
    return rows, twice


def main():
    args = parse_args()
    sys.path.insert(0, args.odoo)
    import odoo
    from odoo import api

    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    run = f"{int(time.time()) % 100000}{os.getpid() % 100}"
    rng = random.Random(7)
    print(
        f"freight bench run {run}: {args.lines:,} lines ours, {args.baseline_lines:,} baseline"
        + (", input VAT on every line" if args.input_vat else "")
    )
    t0 = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, 1, {"tracking_disable": True})
        endpoints = [make_carrier(env, run, tag) for tag in ("A", "B")]
        # input VAT on every charge (--input-vat) or none, whatever an earlier run set
        env["logistics.freight.charge.type"].search([]).product_id.supplier_taxes_id = (
            env.company.account_purchase_tax_id if args.input_vat else False
        )
        names = setup_fixtures(env, run, args.lines, "BENCH")
        base_names = setup_fixtures(env, run, args.baseline_lines, "BASE")
        base_endpoint = make_carrier(env, run, "C")
        half = len(names) // 2
        files = [
            (endpoints[0].id, data)
            for data in csv_files(names[:half], f"A{run}", args.file_lines, rng)
        ]
        files += [
            (endpoints[1].id, data)
            for data in csv_files(names[half:], f"B{run}", args.file_lines, rng)
        ]
        endpoint_ids = [e.id for e in endpoints]
        base_endpoint_id = base_endpoint.id
        cr.commit()
    print(
        f"fixtures: {len(names) + len(base_names):,} done transfers, {len(files)} files "
        f"({time.perf_counter() - t0:.1f} s, not timed)"
    )
    t_import, t_settle, bills = ours(registry, api, endpoint_ids, files, args)
    total = t_import + t_settle
    rows, twice = check(registry, api, endpoint_ids)
    print(
        f"ours: import + audit {t_import:.1f} s, settlement {t_settle:.1f} s ({bills} bills), "
        f"total {total:.1f} s: {args.lines / total:,.0f} lines/s"
    )
    for state, count, lines, distinct in rows:
        print(f"  {state:10} {count:>7,} charges, {lines:>7,} bill lines ({distinct:,} distinct)")
    print(f"  charges on more than one bill line: {twice}")
    if not args.baseline_lines:
        return
    t_base, t_base_import, t_base_bill = baseline(registry, api, base_endpoint_id, base_names, args)
    base_rate = args.baseline_lines / t_base
    print(
        f"baseline (one ORM call per line): {args.baseline_lines:,} lines in {t_base:.1f} s "
        f"(import + audit {t_base_import:.1f} s, bills {t_base_bill:.1f} s): "
        f"{base_rate:,.1f} lines/s"
    )
    print(
        f"ratio: {args.lines / total / base_rate:.1f}x the baseline; "
        f"100,000 lines in {total * 100_000 / args.lines:.1f} s (target <= 60 s, >= 5x)"
    )


if __name__ == "__main__":
    main()
