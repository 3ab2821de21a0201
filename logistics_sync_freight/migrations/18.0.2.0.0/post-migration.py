# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""New freight charges get ids after the 18.0.1 charges kept in
``logistics_freight_charge_v1`` (see the pre-migration): an old charge's chatter,
followers and activities never re-attach to a new charge."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(SQL("SELECT to_regclass('logistics_freight_charge_v1') IS NOT NULL"))
    if not cr.fetchone()[0]:
        return
    cr.execute(
        SQL(
            """SELECT setval(pg_get_serial_sequence('logistics_freight_charge', 'id'),
                             GREATEST((SELECT coalesce(max(id), 0) FROM logistics_freight_charge_v1),
                                      (SELECT coalesce(max(id), 0) FROM logistics_freight_charge),
                                      1))"""
        )
    )
