# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Install on a database with many sales orders.

The stored computed fields this addon adds to ``sale.order`` (shipment status,
exception, TMS release, reference, planned delivery) are empty for an order whose
transfers have neither a milestone nor an exception, which is every order before the
first event.  ``pre_init_hook`` adds their columns, empty, so Odoo does not compute
them order by order; ``post_init_hook`` computes them for the few orders whose
transfers already had news (logistics_sync_base installed earlier).
"""

from odoo.tools import SQL

SALE_ORDER_COLUMNS = (
    ("logistics_milestone", "varchar"),
    ("logistics_exception", "boolean"),
    ("tms_release_state", "varchar"),
    ("tms_ref", "varchar"),
    ("tms_planned_delivery", "timestamp"),
)


def pre_init_hook(env):
    for column, kind in SALE_ORDER_COLUMNS:
        env.cr.execute(
            SQL(
                "ALTER TABLE sale_order ADD COLUMN IF NOT EXISTS %s %s",
                SQL.identifier(column),
                SQL(kind),
            )
        )


def post_init_hook(env):
    orders = env["sale.order"].search(
        [
            "|",
            ("picking_ids.logistics_milestone", "!=", False),
            ("picking_ids.logistics_exception", "=", True),
        ]
    )
    for column, _kind in SALE_ORDER_COLUMNS:
        env.add_to_compute(orders._fields[column], orders)
    orders.flush_recordset()
