# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.2.0: logistics_event keeps only the indexes its queries need.

Odoo keeps an index when its field stops asking for one, so the single-column
indexes of earlier versions are dropped here; the partial indexes that replace
the useful ones are created by ``logistics.event.init()`` during the update.
"""

from odoo.tools import sql

from odoo.addons.logistics_sync_base.models.logistics_event import DROPPED_INDEXES


def migrate(cr, version):
    for name in DROPPED_INDEXES:
        sql.drop_index(cr, name, "logistics_event")
