# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1 kept freight charges as a manual list (quoted, billed, matched or disputed);
18.0.2 makes a charge a line of a carrier invoice. The old rows are kept, as they
were, in ``logistics_freight_charge_v1``; the new table is created empty."""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute(SQL("SELECT to_regclass('logistics_freight_charge') IS NOT NULL"))
    if not cr.fetchone()[0]:
        return
    cr.execute(
        SQL(
            "CREATE TABLE logistics_freight_charge_v1 AS SELECT * FROM logistics_freight_charge;"
            " DROP TABLE logistics_freight_charge CASCADE"
        )
    )
    _logger.info("Freight charges of 18.0.1 kept in table logistics_freight_charge_v1")
