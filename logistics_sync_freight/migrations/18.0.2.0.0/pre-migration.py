# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1 kept freight charges as a manual list (quoted, billed, matched or disputed);
18.0.2 makes a charge a line of a carrier invoice. The old rows are kept, as they
were and with their ids, in ``logistics_freight_charge_v1``; the new table is created
empty by Odoo.

The table is renamed, not copied and dropped: its rows keep their ids, so the
chatter, followers and activities of an old charge (``mail_message``,
``mail_followers``, ``mail_activity``: model ``logistics.freight.charge`` and the
old id) stay with that charge's row; the post-migration starts the new table's ids
after the old ones, so that no new charge takes an old charge's id (and its
chatter). The old table's indexes and id sequence are renamed with it (Odoo creates
the new table's own); foreign keys of other tables to it are dropped, as the drop of
the old table did."""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

OLD, KEPT = "logistics_freight_charge", "logistics_freight_charge_v1"


def migrate(cr, version):
    cr.execute(SQL("SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL", OLD, KEPT))
    present, kept = cr.fetchone()
    if not present or kept:
        return
    cr.execute(
        SQL(
            """SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c
                WHERE c.contype = 'f' AND c.confrelid = to_regclass(%s)
                  AND c.conrelid <> c.confrelid""",
            OLD,
        )
    )
    for table, name in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER TABLE %s DROP CONSTRAINT %s",
                SQL(table),  # regclass text: quoted (and qualified) by PostgreSQL itself
                SQL.identifier(name),
            )
        )
    cr.execute(
        SQL(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = %s",
            OLD,
        )
    )
    for (name,) in cr.fetchall():
        new_name = (KEPT + name[len(OLD) :] if name.startswith(OLD) else f"{KEPT}_{name}")[:63]
        cr.execute(
            SQL("ALTER INDEX %s RENAME TO %s", SQL.identifier(name), SQL.identifier(new_name))
        )
    cr.execute(SQL("SELECT pg_get_serial_sequence(%s, 'id')", OLD))
    (sequence,) = cr.fetchone()
    if sequence:
        cr.execute(
            SQL(
                "ALTER SEQUENCE %s RENAME TO %s",
                SQL(sequence),  # schema-qualified and quoted by PostgreSQL itself
                SQL.identifier(f"{KEPT}_id_seq"),
            )
        )
    cr.execute(SQL("ALTER TABLE %s RENAME TO %s", SQL.identifier(OLD), SQL.identifier(KEPT)))
    _logger.info("Freight charges of 18.0.1 kept, with their ids, in table %s", KEPT)
