# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tools import SQL


def migrate(cr, version):
    """The daily KPIs were a SQL view over live events; they become an hourly table."""
    cr.execute(SQL("DROP VIEW IF EXISTS logistics_sync_kpi"))
