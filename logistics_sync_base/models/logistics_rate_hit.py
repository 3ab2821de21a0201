# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoints' rate limit, shared by every Odoo worker and host.

A sliding log: one row per admitted request.  A request is admitted when fewer
than the limit were admitted in the last 60 seconds, whichever worker or host
answered them.  Counting and admitting is one ``INSERT ... SELECT`` in the
request's own transaction: no extra connection, no lock on a shared row, so
concurrent requests never wait on each other.  Requests in flight at the same
moment do not see each other's rows yet, so a burst may pass the limit by at
most the number of requests served at once (the workers); a request rolled back
(503) is not counted.  Endpoints without a limit never touch the table; the
stale-events cron removes rows that left the window.
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
    at = fields.Datetime(string="Time", required=True, readonly=True)

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS logistics_rate_hit_endpoint_at_idx"
            " ON logistics_rate_hit (endpoint_id, at)"
        )

    @api.model
    def _hit(self, endpoint_id, limit):
        """Count one request of the endpoint; 0 when admitted, else seconds to wait."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                INSERT INTO logistics_rate_hit (endpoint_id, at)
                SELECT %(endpoint)s, now() AT TIME ZONE 'UTC'
                 WHERE (SELECT count(*) FROM (
                            SELECT 1 FROM logistics_rate_hit
                             WHERE endpoint_id = %(endpoint)s
                               AND at > (now() AT TIME ZONE 'UTC') - make_interval(secs => %(window)s)
                             LIMIT %(limit)s) AS recent
                       ) < %(limit)s
                RETURNING 1
                """,
                endpoint=endpoint_id,
                limit=limit,
                window=WINDOW_SECONDS,
            )
        )
        if cr.fetchone():
            return 0
        cr.execute(
            SQL(
                """
                SELECT ceil(EXTRACT(EPOCH FROM min(at) + make_interval(secs => %(window)s)
                                    - (now() AT TIME ZONE 'UTC')))
                  FROM logistics_rate_hit
                 WHERE endpoint_id = %(endpoint)s
                   AND at > (now() AT TIME ZONE 'UTC') - make_interval(secs => %(window)s)
                """,
                endpoint=endpoint_id,
                window=WINDOW_SECONDS,
            )
        )
        wait = cr.fetchone()[0]
        return max(1, int(wait or 1))

    @api.model
    def _gc_hits(self):
        """Rows that left the window no longer count."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM logistics_rate_hit"
                " WHERE at < (now() AT TIME ZONE 'UTC') - make_interval(secs => %s)",
                2 * WINDOW_SECONDS,
            )
        )
