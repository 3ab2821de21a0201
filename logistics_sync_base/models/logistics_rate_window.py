# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoints' rate limit, shared by every Odoo worker and host.

One row per endpoint and minute counts the requests admitted in that minute.
A request is admitted when the sliding-window estimate (this minute's count plus
the previous minute's, weighted by how much of it still lies in the last 60
seconds) is under the limit.  The count and the check are one statement run in
a short transaction of its own: the row is locked for that statement only, never
for the webhook's whole transaction, so concurrent requests do not queue behind
each other, and a request rolled back later still counts (it was admitted).
Endpoints without a limit never touch the table.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class LogisticsRateWindow(models.Model):
    _name = "logistics.rate.window"
    _description = "Logistics Sync Rate Limit Window"
    _log_access = False

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="cascade", readonly=True
    )
    window_start = fields.Datetime(required=True, readonly=True)
    hits = fields.Integer(readonly=True)

    _sql_constraints = [
        ("window_unique", "unique(endpoint_id, window_start)", "One row per endpoint and minute.")
    ]

    @api.model
    def _hit(self, endpoint_id, limit):
        """Count one request of the endpoint; 0 when admitted, else seconds to wait."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """
                    WITH now AS (
                        SELECT date_trunc('minute', now() AT TIME ZONE 'UTC') AS start,
                               1 - EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC')
                                   - date_trunc('minute', now() AT TIME ZONE 'UTC')) / 60.0
                                   AS weight
                    ), previous AS (
                        SELECT COALESCE(SUM(w.hits), 0) * (SELECT weight FROM now) AS hits
                          FROM logistics_rate_window w
                         WHERE w.endpoint_id = %(endpoint)s
                           AND w.window_start = (SELECT start FROM now) - interval '1 minute'
                    )
                    INSERT INTO logistics_rate_window AS w (endpoint_id, window_start, hits)
                    SELECT %(endpoint)s, (SELECT start FROM now), 1
                     WHERE (SELECT hits FROM previous) + 1 <= %(limit)s
                    ON CONFLICT (endpoint_id, window_start) DO UPDATE
                       SET hits = w.hits + 1
                     WHERE w.hits + (SELECT hits FROM previous) + 1 <= %(limit)s
                    RETURNING w.hits, (SELECT weight FROM now)
                    """,
                    endpoint=endpoint_id,
                    limit=limit,
                )
            )
            admitted = cr.fetchone()
            if admitted:
                return 0
            cr.execute(SQL("SELECT 60 - EXTRACT(SECOND FROM now())::int"))
            return max(1, cr.fetchone()[0])

    @api.autovacuum
    def _gc_windows(self):
        """Windows older than the previous minute no longer count."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM logistics_rate_window WHERE window_start < %s",
                fields.Datetime.now() - timedelta(minutes=5),
            )
        )
