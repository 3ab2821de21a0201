# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoints' rate limit, shared by every Odoo worker and host.

A sliding log: one row per admitted request, kept for 60 seconds.  A request is
admitted when fewer than the limit were admitted in the last 60 seconds, so no
60-second span ever admits more than the limit, whichever worker or host answers.

Each check is a short transaction of its own, serialised per endpoint by an
advisory lock and run at READ COMMITTED so that it sees the checks committed
while it waited; the webhook's own transaction never holds anything of it, so
concurrent requests do not queue behind each other's work, and a request rolled
back later still counts (it was admitted).  Endpoints without a limit never
touch the table.
"""

from odoo import api, fields, models
from odoo.tools import SQL

WINDOW_SECONDS = 60


class LogisticsRateHit(models.Model):
    _name = "logistics.rate.hit"
    _description = "Logistics Sync Rate Limit Hit"
    _log_access = False
    _order = "endpoint_id, at"

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="cascade", readonly=True
    )
    at = fields.Datetime(required=True, readonly=True)

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS logistics_rate_hit_endpoint_at_idx"
            " ON logistics_rate_hit (endpoint_id, at)"
        )

    @api.model
    def _hit(self, endpoint_id, limit):
        """Count one request of the endpoint; 0 when admitted, else seconds to wait."""
        registry = self.env.registry
        with registry.cursor() as cr:
            # Odoo opens REPEATABLE READ transactions, whose snapshot would predate the
            # lock wait; under tests the cursor shares the test's transaction instead.
            isolation = (
                ""
                if registry.test_cr is not None
                else "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
            )
            cr.execute(
                SQL(
                    isolation
                    + """
                    SELECT pg_advisory_xact_lock(hashtext('logistics_sync.rate_limit'), %(endpoint)s);
                    DELETE FROM logistics_rate_hit
                     WHERE endpoint_id = %(endpoint)s
                       AND at <= (clock_timestamp() AT TIME ZONE 'UTC') - make_interval(secs => %(window)s);
                    WITH recent AS (
                        SELECT count(*) AS n, min(at) AS oldest
                          FROM logistics_rate_hit WHERE endpoint_id = %(endpoint)s
                    ), admitted AS (
                        INSERT INTO logistics_rate_hit (endpoint_id, at)
                        SELECT %(endpoint)s, clock_timestamp() AT TIME ZONE 'UTC'
                          FROM recent WHERE n < %(limit)s
                        RETURNING 1
                    )
                    SELECT (SELECT count(*) FROM admitted),
                           ceil(EXTRACT(EPOCH FROM (SELECT oldest FROM recent)
                                + make_interval(secs => %(window)s)
                                - (clock_timestamp() AT TIME ZONE 'UTC')))
                    """,
                    endpoint=endpoint_id,
                    limit=limit,
                    window=WINDOW_SECONDS,
                )
            )
            admitted, wait = cr.fetchone()
        return 0 if admitted else max(1, int(wait or 1))
