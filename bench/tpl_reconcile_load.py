"""3PL stock reconciliation: a 100,000-line snapshot against a per-line ORM baseline.

Run by bench/tpl_reconcile inside ``odoo-bin shell`` (``env`` is given).  In one run:
1. seeds, once, a warehouse operated by a bench 3PL endpoint with --products lot-tracked
   products and --lots lots each, one quant per lot (SQL);
2. builds the 3PL's snapshot from those quants, 2 % of the lines off by 1 to 3;
3. times ``logistics.tpl.snapshot._tpl_reconcile`` on the whole snapshot (set-based:
   one aggregate query, discrepancies created through the ORM);
4. times the per-line ORM baseline (product, lot and quants searched per line) on
   --sample lines, and prints both rates and their ratio.
Targets (issue 22): the whole snapshot in 30 s or less, at least 10 times the baseline.
Everything is rolled back at the end except the seed.
"""

import os
import random
import time

N_PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "1000"))
N_LOTS = int(os.environ.get("BENCH_LOTS", "100"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "1000"))
cr = env.cr  # noqa: F821 - given by odoo-bin shell
Endpoint = env["logistics.endpoint"]  # noqa: F821
endpoint = Endpoint.search([("code", "=", "bench-3pl")])
if not endpoint:
    endpoint = Endpoint.create({"name": "Bench 3PL", "code": "bench-3pl", "kind": "wms"})
warehouse = env["stock.warehouse"].search([("code", "=", "B3PL")])  # noqa: F821
if not warehouse:
    warehouse = env["stock.warehouse"].create(  # noqa: F821
        {"name": "Bench 3PL", "code": "B3PL", "tpl_endpoint_id": endpoint.id}
    )
    started = time.monotonic()
    products = env["product.product"].create(  # noqa: F821
        [
            {
                "name": f"Bench {i}",
                "default_code": f"B3-{i:05d}",
                "is_storable": True,
                "tracking": "lot",
                "standard_price": 2.5,
            }
            for i in range(N_PRODUCTS)
        ]
    )
    env.flush_all()  # noqa: F821
    cr.execute(
        "INSERT INTO stock_lot (name, product_id, company_id, create_uid, write_uid,"
        " create_date, write_date)"
        " SELECT 'L' || g, p.id, %s, 1, 1, now(), now()"
        " FROM unnest(%s::int[]) AS p(id), generate_series(1, %s) g",
        (warehouse.company_id.id, products.ids, N_LOTS),
    )
    cr.execute(
        "INSERT INTO stock_quant (product_id, location_id, lot_id, quantity, reserved_quantity,"
        " company_id, in_date, create_uid, write_uid, create_date, write_date)"
        " SELECT l.product_id, %s, l.id, 10 + l.id %% 7, 0, %s, now(), 1, 1, now(), now()"
        " FROM stock_lot l WHERE l.product_id = ANY(%s)",
        (warehouse.lot_stock_id.id, warehouse.company_id.id, products.ids),
    )
    env.invalidate_all()  # noqa: F821
    cr.commit()
    print(f"seeded {N_PRODUCTS * N_LOTS} quants in {time.monotonic() - started:.1f} s")

cr.execute(
    "SELECT p.default_code, l.name, q.quantity FROM stock_quant q"
    " JOIN product_product p ON p.id = q.product_id JOIN stock_lot l ON l.id = q.lot_id"
    " WHERE q.location_id = %s ORDER BY q.id",
    (warehouse.lot_stock_id.id,),
)
rng = random.Random(7)
lines = []
for sku, lot, qty in cr.fetchall():
    if rng.random() < 0.02:
        qty += rng.choice((-3, -2, -1, 1, 2, 3))
    lines.append({"sku": sku, "lot": lot, "quantity": qty, "status": "available"})
print(f"snapshot: {len(lines)} lines")

Snapshot = env["logistics.tpl.snapshot"]  # noqa: F821
started = time.monotonic()
snapshot = Snapshot._tpl_reconcile(warehouse, env.cr.now(), lines, name="BENCH")  # noqa: F821
env.flush_all()  # noqa: F821
set_seconds = time.monotonic() - started
print(
    f"set-based: {len(lines)} lines in {set_seconds:.2f} s"
    f" ({len(lines) / set_seconds:,.0f} lines/s), {snapshot.discrepancy_count} discrepancies,"
    f" accuracy {snapshot.accuracy:.2f} %"
)

Product, Lot, Quant = env["product.product"], env["stock.lot"], env["stock.quant"]  # noqa: F821
view = warehouse.view_location_id
sample = lines[:SAMPLE]
env.invalidate_all()  # noqa: F821
started = time.monotonic()
found = 0
for line in sample:
    product = Product.search([("default_code", "=", line["sku"])], limit=1)
    lot = Lot.search([("product_id", "=", product.id), ("name", "=", line["lot"])], limit=1)
    quants = Quant.search(
        [
            ("product_id", "=", product.id),
            ("lot_id", "=", lot.id),
            ("location_id", "child_of", view.id),
        ]
    )
    if abs(sum(quants.mapped("quantity")) - line["quantity"]) > 1e-6:
        found += 1
base_seconds = time.monotonic() - started
base_rate = len(sample) / base_seconds
set_rate = len(lines) / set_seconds
print(
    f"per-line ORM baseline: {len(sample)} lines in {base_seconds:.2f} s ({base_rate:,.0f} lines/s),"
    f" {found} discrepancies in the sample"
)
print(f"ratio set-based / baseline: {set_rate / base_rate:.1f}x (target >= 10x, whole <= 30 s)")
cr.rollback()
