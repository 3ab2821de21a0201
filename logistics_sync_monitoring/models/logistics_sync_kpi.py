# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models, tools
from odoo.tools import SQL


class LogisticsSyncKpi(models.Model):
    """Daily KPIs per endpoint, read straight from the events (a SQL view)."""

    _name = "logistics.sync.kpi"
    _description = "Logistics Sync KPI"
    _auto = False
    _order = "day desc, endpoint_id"
    _rec_name = "endpoint_id"

    day = fields.Date(readonly=True)
    endpoint_id = fields.Many2one("logistics.endpoint", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    event_count = fields.Integer(string="Events", readonly=True)
    applied_count = fields.Integer(string="Applied", readonly=True)
    superseded_count = fields.Integer(string="Superseded", readonly=True)
    waiting_count = fields.Integer(string="Waiting", readonly=True)
    failed_count = fields.Integer(string="Failed or dead", readonly=True)
    failed_rate = fields.Float(string="Failed message rate (%)", readonly=True, aggregator="avg")
    avg_sync_latency = fields.Float(
        string="Sync latency (s)",
        readonly=True,
        aggregator="avg",
        help="Average time from reception to application in Odoo.",
    )
    avg_source_lag = fields.Float(
        string="Source lag (s)",
        readonly=True,
        aggregator="avg",
        help="Average time from the event at the source to its reception.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %s AS (
                SELECT min(e.id) AS id,
                       e.received_at::date AS day,
                       e.endpoint_id,
                       e.company_id,
                       count(*) AS event_count,
                       count(*) FILTER (WHERE e.state = 'applied') AS applied_count,
                       count(*) FILTER (WHERE e.state = 'superseded') AS superseded_count,
                       count(*) FILTER (WHERE e.state = 'waiting') AS waiting_count,
                       count(*) FILTER (WHERE e.state IN ('failed', 'dead')) AS failed_count,
                       100.0 * count(*) FILTER (WHERE e.state IN ('failed', 'dead'))
                           / count(*) AS failed_rate,
                       avg(EXTRACT(EPOCH FROM (e.applied_at - e.received_at)))
                           FILTER (WHERE e.applied_at IS NOT NULL) AS avg_sync_latency,
                       avg(e.lag_seconds) AS avg_source_lag
                  FROM logistics_event e
              GROUP BY e.received_at::date, e.endpoint_id, e.company_id
            )""",
                SQL.identifier(self._table),
            )
        )
