# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.hours import hour_range, local_hour_start

_logger = logging.getLogger(__name__)

PERCENTILES = SQL("ARRAY[0.5, 0.95, 0.99]")
# Figures of closed hours are frozen after this many hours: the events behind
# them may be purged by the retention job later, the history must not change.
DEFAULT_LOOKBACK_HOURS = 6
# Written on every computation (the others, gauges of "now", only for the current hour).
FLOW_COLUMNS = (
    "day",
    "hour_of_day",
    "received_count",
    "applied_count",
    "superseded_count",
    "waiting_count",
    "failed_count",
    "dead_count",
    "retry_count",
    "failed_rate",
    "lag_p50",
    "lag_p95",
    "lag_p99",
    "sync_p50",
    "sync_p95",
    "sync_p99",
    "total_p50",
    "total_p95",
    "total_p99",
    "dead_letter_count",
    "oldest_dead_age",
    "circuit_openings",
    "received_total",
    "applied_total",
    "superseded_total",
    "retry_total",
    "circuit_openings_total",
    "write_date",
    "write_uid",
)


_LAG = "From the time the event occurred to the time Odoo received it."
_SYNC = "From the time Odoo received the event to the time it was applied."
_TOTAL = "From the time the event occurred to the time it was applied."


def _latency(label, help_text):
    return {
        "string": label,
        "readonly": True,
        "aggregator": "max",
        "digits": (16, 3),
        "help": help_text + " Grouped: the highest of the hours.",
    }


class LogisticsSyncKpi(models.Model):
    """KPIs per endpoint and hour (the company's time zone), kept longer than events.

    Filled by a cron that recomputes the last few hours (an upsert: computing an
    hour again gives the same figures); older hours stay as they were computed,
    so purging events does not change the history.  Counts are of the events
    *received* in the hour, by their state when the hour was computed.
    """

    _name = "logistics.sync.kpi"
    _description = "Logistics Sync KPI (hourly)"
    _order = "hour desc, endpoint_id"
    _rec_name = "endpoint_id"
    _check_company_auto = True

    hour = fields.Datetime(required=True, readonly=True, index=True, help="Start of the hour.")
    day = fields.Date(readonly=True, index=True, help="The day in the company's time zone.")
    hour_of_day = fields.Integer(string="Hour of the day", readonly=True, aggregator=False)
    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, readonly=True, index=True
    )
    received_count = fields.Integer(string="Received", readonly=True)
    applied_count = fields.Integer(string="Applied", readonly=True)
    superseded_count = fields.Integer(string="Superseded", readonly=True)
    waiting_count = fields.Integer(string="Waiting", readonly=True)
    failed_count = fields.Integer(string="Failed (retrying)", readonly=True)
    dead_count = fields.Integer(string="Dead", readonly=True)
    retry_count = fields.Integer(string="Retries", readonly=True)
    failed_rate = fields.Float(
        string="Failed message rate (%)",
        readonly=True,
        aggregator="avg",
        help="Failed or dead among the events received; grouped, it is the rate of the "
        "group (a sum over a sum), not an average of rates.",
    )
    # Latency percentiles in seconds, to the millisecond (events keep their times to
    # the microsecond); grouped, the highest of the hours.
    lag_p50 = fields.Float(**_latency("Sender delay p50 (s)", _LAG))
    lag_p95 = fields.Float(**_latency("Sender delay p95 (s)", _LAG))
    lag_p99 = fields.Float(**_latency("Sender delay p99 (s)", _LAG))
    sync_p50 = fields.Float(**_latency("Processing p50 (s)", _SYNC))
    sync_p95 = fields.Float(**_latency("Processing p95 (s)", _SYNC))
    sync_p99 = fields.Float(**_latency("Processing p99 (s)", _SYNC))
    total_p50 = fields.Float(**_latency("End-to-end p50 (s)", _TOTAL))
    total_p95 = fields.Float(**_latency("End-to-end p95 (s)", _TOTAL))
    total_p99 = fields.Float(**_latency("End-to-end p99 (s)", _TOTAL))
    dead_letter_count = fields.Integer(
        string="Dead letters", readonly=True, aggregator="max", help="Open at the end of the hour."
    )
    oldest_dead_age = fields.Float(string="Oldest dead letter (h)", readonly=True, aggregator="max")
    booking_backlog = fields.Integer(
        string="Booking backlog",
        readonly=True,
        aggregator="max",
        help="Carrier bookings queued or waiting for the carrier.",
    )
    release_backlog = fields.Integer(
        string="Release backlog",
        readonly=True,
        aggregator="max",
        help="TMS releases without an answer (with the TMS addon).",
    )
    circuit_openings = fields.Integer(
        string="Circuit openings",
        readonly=True,
        help="Times the endpoint's circuit breaker opened in the hour.",
    )
    exceptions_resolved = fields.Integer(
        string="Exceptions resolved",
        readonly=True,
        help="Exceptions resolved in the hour: alerts closed, rejected TMS tenders "
        "answered again (with the TMS addon), freight disputes settled (with the "
        "freight addon).",
    )
    resolution_seconds = fields.Float(
        string="Resolution time (s)",
        readonly=True,
        aggregator=False,  # internal: only the mean (resolution_hours) is a measure
        help="Their time from raised to resolved, added up.",
    )
    resolution_hours = fields.Float(
        string="Exception resolution (h)",
        readonly=True,
        aggregator="avg",
        help="Mean time from an exception raised to its resolution; of a group, its "
        "total time over its count.",
    )
    # Running totals since the endpoint's first row (for Prometheus counters: the
    # scrape reads the latest row per endpoint instead of summing the history).
    # Not measures (aggregator=False): a running total means nothing summed or charted.
    received_total = fields.Integer(
        string="Received (running total)", readonly=True, aggregator=False
    )
    applied_total = fields.Integer(
        string="Applied (running total)", readonly=True, aggregator=False
    )
    superseded_total = fields.Integer(
        string="Superseded (running total)", readonly=True, aggregator=False
    )
    retry_total = fields.Integer(string="Retries (running total)", readonly=True, aggregator=False)
    circuit_openings_total = fields.Integer(
        string="Circuit openings (running total)", readonly=True, aggregator=False
    )

    _sql_constraints = [
        ("endpoint_hour_unique", "unique(endpoint_id, hour)", "One row per endpoint and hour."),
    ]

    def _read_group_select(self, aggregate_spec, query):
        # The failed rate of a group is its failed and dead events over its
        # received events, never the average of hourly rates.
        if aggregate_spec.startswith("failed_rate:"):
            table = SQL.identifier(self._table)
            return SQL(
                "COALESCE(100.0 * SUM(%(t)s.failed_count + %(t)s.dead_count)"
                " / NULLIF(SUM(%(t)s.received_count), 0), 0)",
                t=table,
            )
        if aggregate_spec.startswith("resolution_hours:"):
            table = SQL.identifier(self._table)
            return SQL(
                "COALESCE(SUM(%(t)s.resolution_seconds)"
                " / NULLIF(SUM(%(t)s.exceptions_resolved), 0) / 3600.0, 0)",
                t=table,
            )
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_compute(self, lookback_hours=None):
        """Recompute the current hour and the ``lookback_hours`` before it."""
        lookback = lookback_hours or int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("logistics_sync_monitoring.kpi_lookback_hours", DEFAULT_LOOKBACK_HOURS)
        )
        now = fields.Datetime.now()
        companies = self.env["logistics.endpoint"].sudo().search([]).company_id
        for company in companies:
            tz = company.partner_id.tz or "UTC"
            first, stop = hour_range(now, lookback + 1, tz)
            self._compute_hours(company, first, stop)
        self.env["ir.cron"]._notify_progress(done=len(companies), remaining=0)

    @api.model
    def _compute_hours(self, company, first, stop, endpoints=None):
        """Upsert the rows of ``company``'s endpoints for the hours from ``first`` to
        ``stop`` (naive UTC instants on local hour starts, ``stop`` excluded)."""
        tz = company.partner_id.tz or "UTC"
        endpoints = endpoints or self.env["logistics.endpoint"].sudo().search(
            [("company_id", "=", company.id)]
        )
        if not endpoints or first >= stop:
            return
        self.env.flush_all()
        hour = SQL("interval '1 hour'")
        columns = SQL(", ").join(SQL.identifier(c) for c in FLOW_COLUMNS)
        updates = SQL(", ").join(
            SQL("%(c)s = EXCLUDED.%(c)s", c=SQL.identifier(c)) for c in FLOW_COLUMNS
        )
        # One pass over the window's events (grouped into local hours with
        # date_bin from a local hour start), joined to the grid of endpoints x hours;
        # dead letters open at each hour's end are the ones before the window plus a
        # running sum over the window.
        self.env.cr.execute(
            SQL(
                """
            WITH grid AS (
                SELECT ep.id AS endpoint_id, h AS hour
                  FROM logistics_endpoint ep
                 CROSS JOIN generate_series(%(first)s::timestamp, %(last)s::timestamp, %(hour)s) h
                 WHERE ep.id = ANY(%(ids)s)
            ), ev AS (
                SELECT e.endpoint_id, date_bin(%(hour)s, e.received_at, %(first)s::timestamp) AS hour,
                       count(*) AS received,
                       count(*) FILTER (WHERE e.state = 'applied') AS applied,
                       count(*) FILTER (WHERE e.state = 'superseded') AS superseded,
                       count(*) FILTER (WHERE e.state = 'waiting') AS waiting,
                       count(*) FILTER (WHERE e.state = 'failed') AS failed,
                       count(*) FILTER (WHERE e.state = 'dead') AS dead,
                       sum(GREATEST(e.attempts - 1, 0)) AS retries,
                       min(COALESCE(e.last_failure_at, e.received_at))
                           FILTER (WHERE e.state = 'dead') AS oldest_dead,
                       percentile_cont(%(pct)s) WITHIN GROUP (ORDER BY e.lag_seconds) AS lag,
                       percentile_cont(%(pct)s) WITHIN GROUP (
                           ORDER BY EXTRACT(EPOCH FROM e.applied_at - e.received_at)) AS sync,
                       percentile_cont(%(pct)s) WITHIN GROUP (
                           ORDER BY EXTRACT(EPOCH FROM e.applied_at - e.occurred_at)) AS total
                  FROM logistics_event e
                 WHERE e.endpoint_id = ANY(%(ids)s)
                   AND e.received_at >= %(first)s AND e.received_at < %(stop)s
                 GROUP BY 1, 2
            ), dead_before AS (
                SELECT d.endpoint_id, count(*) AS n,
                       min(COALESCE(d.last_failure_at, d.received_at)) AS oldest
                  FROM logistics_event d
                 WHERE d.endpoint_id = ANY(%(ids)s) AND d.state = 'dead'
                   AND d.received_at < %(first)s
                 GROUP BY d.endpoint_id
            ), openings AS (
                SELECT o.endpoint_id, date_bin(%(hour)s, o.opened_at, %(first)s::timestamp) AS hour,
                       count(*) AS n
                  FROM logistics_circuit_opening o
                 WHERE o.endpoint_id = ANY(%(ids)s)
                   AND o.opened_at >= %(first)s AND o.opened_at < %(stop)s
                 GROUP BY 1, 2
            ), prev AS (
                SELECT ep.id AS endpoint_id, k.received_total, k.applied_total,
                       k.superseded_total, k.retry_total, k.circuit_openings_total
                  FROM unnest(%(ids)s) ep(id)
                 CROSS JOIN LATERAL (
                       SELECT * FROM logistics_sync_kpi k
                        WHERE k.endpoint_id = ep.id AND k.hour < %(first)s
                        ORDER BY k.hour DESC LIMIT 1) k
            ), fig AS (
                SELECT g.endpoint_id, g.hour,
                       COALESCE(ev.received, 0) AS received, COALESCE(ev.applied, 0) AS applied,
                       COALESCE(ev.superseded, 0) AS superseded,
                       COALESCE(ev.waiting, 0) AS waiting, COALESCE(ev.failed, 0) AS failed,
                       COALESCE(ev.dead, 0) AS dead, COALESCE(ev.retries, 0) AS retries,
                       ev.lag, ev.sync, ev.total, COALESCE(op.n, 0) AS openings,
                       COALESCE(db.n, 0) + sum(COALESCE(ev.dead, 0)) OVER w AS dead_open,
                       LEAST(db.oldest, min(ev.oldest_dead) OVER w) AS oldest_dead,
                       COALESCE(pv.received_total, 0)
                           + sum(COALESCE(ev.received, 0)) OVER w AS received_total,
                       COALESCE(pv.applied_total, 0)
                           + sum(COALESCE(ev.applied, 0)) OVER w AS applied_total,
                       COALESCE(pv.superseded_total, 0)
                           + sum(COALESCE(ev.superseded, 0)) OVER w AS superseded_total,
                       COALESCE(pv.retry_total, 0)
                           + sum(COALESCE(ev.retries, 0)) OVER w AS retry_total,
                       COALESCE(pv.circuit_openings_total, 0)
                           + sum(COALESCE(op.n, 0)) OVER w AS circuit_openings_total
                  FROM grid g
                  LEFT JOIN ev ON ev.endpoint_id = g.endpoint_id AND ev.hour = g.hour
                  LEFT JOIN openings op ON op.endpoint_id = g.endpoint_id AND op.hour = g.hour
                  LEFT JOIN dead_before db ON db.endpoint_id = g.endpoint_id
                  LEFT JOIN prev pv ON pv.endpoint_id = g.endpoint_id
                WINDOW w AS (PARTITION BY g.endpoint_id ORDER BY g.hour)
            )
            INSERT INTO logistics_sync_kpi (endpoint_id, company_id, hour, create_uid,
                                            create_date, %(columns)s)
            SELECT f.endpoint_id, %(company)s, f.hour, %(uid)s, now() AT TIME ZONE 'UTC',
                   ((f.hour AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date,
                   EXTRACT(HOUR FROM (f.hour AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s),
                   f.received, f.applied, f.superseded, f.waiting, f.failed, f.dead, f.retries,
                   CASE WHEN f.received > 0
                        THEN 100.0 * (f.failed + f.dead) / f.received ELSE 0 END,
                   COALESCE(f.lag[1], 0), COALESCE(f.lag[2], 0), COALESCE(f.lag[3], 0),
                   COALESCE(f.sync[1], 0), COALESCE(f.sync[2], 0), COALESCE(f.sync[3], 0),
                   COALESCE(f.total[1], 0), COALESCE(f.total[2], 0), COALESCE(f.total[3], 0),
                   f.dead_open,
                   COALESCE(EXTRACT(EPOCH FROM f.hour + %(hour)s - f.oldest_dead) / 3600, 0),
                   f.openings, f.received_total, f.applied_total, f.superseded_total,
                   f.retry_total, f.circuit_openings_total, now() AT TIME ZONE 'UTC', %(uid)s
              FROM fig f
            ON CONFLICT (endpoint_id, hour) DO UPDATE SET %(updates)s
            """,
                first=first,
                last=stop - timedelta(hours=1),
                stop=stop,
                hour=hour,
                ids=endpoints.ids,
                pct=PERCENTILES,
                columns=columns,
                updates=updates,
                company=company.id,
                uid=self.env.uid,
                tz=tz,
            )
        )
        self._store_resolutions(endpoints, first, stop)
        current = local_hour_start(fields.Datetime.now(), tz)
        if first <= current < stop:
            self._store_backlogs(endpoints, current)
        self.invalidate_model()

    def _store_backlogs(self, endpoints, hour):
        """Gauges of now (bookings, releases) on the current hour's rows."""
        bookings = self._monitoring_booking_backlog(endpoints)
        releases = self._monitoring_release_backlog(endpoints)
        for endpoint in endpoints:
            self.env.cr.execute(
                SQL(
                    "UPDATE logistics_sync_kpi SET booking_backlog = %s, release_backlog = %s"
                    " WHERE endpoint_id = %s AND hour = %s",
                    bookings.get(endpoint.id, 0),
                    releases.get(endpoint.id, 0),
                    endpoint.id,
                    hour,
                )
            )

    def _store_resolutions(self, endpoints, first, stop):
        """Exceptions resolved per endpoint and hour of resolution, and their time
        (reset first: recomputing an hour gives the same figures)."""
        figures = defaultdict(lambda: [0, 0.0])
        for endpoint_id, _kind, raised, resolved in self._monitoring_exception_resolutions(
            endpoints, first, stop
        ):
            hour = first + timedelta(hours=int((resolved - first).total_seconds() // 3600))
            figure = figures[endpoint_id, hour]
            figure[0] += 1
            figure[1] += max((resolved - raised).total_seconds(), 0.0)
        self.env.cr.execute(
            SQL(
                "UPDATE logistics_sync_kpi SET exceptions_resolved = 0, resolution_seconds = 0,"
                " resolution_hours = 0 WHERE endpoint_id = ANY(%s) AND hour >= %s AND hour < %s"
                " AND exceptions_resolved != 0",
                endpoints.ids,
                first,
                stop,
            )
        )
        for (endpoint_id, hour), (count, seconds) in figures.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE logistics_sync_kpi SET exceptions_resolved = %s,"
                    " resolution_seconds = %s, resolution_hours = %s"
                    " WHERE endpoint_id = %s AND hour = %s",
                    count,
                    seconds,
                    seconds / count / 3600.0,
                    endpoint_id,
                    hour,
                )
            )

    @api.model
    def _monitoring_exception_resolutions(self, endpoints, first, stop):
        """[(endpoint id, kind, raised, resolved)] of the exceptions of ``endpoints``
        resolved from ``first`` to ``stop``: alerts closed here; rejected TMS tenders
        (logistics_sync_monitoring_tms) and freight disputes
        (logistics_sync_monitoring_freight) added by the glue addons."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT endpoint_id, 'alert', opened_at, closed_at FROM logistics_sync_alert"
                " WHERE endpoint_id = ANY(%s) AND closed_at >= %s AND closed_at < %s",
                endpoints.ids,
                first,
                stop,
            )
        )
        return cr.fetchall()

    # ------------------------------------------------- hooks for other addons
    @api.model
    def _monitoring_booking_backlog(self, endpoints):
        """{endpoint id: carrier bookings queued or waiting for the carrier}."""
        return {e.id: e.booking_waiting_count for e in endpoints.sudo()}

    @api.model
    def _monitoring_release_backlog(self, endpoints):
        """{endpoint id: TMS releases not answered yet}: empty here, counted by
        logistics_sync_monitoring_tms."""
        return {}

    @api.autovacuum
    def _gc_old_kpis(self):
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("logistics_sync_monitoring.kpi_retention_days", 730)
        )
        if days > 0:
            cutoff = fields.Datetime.now() - timedelta(days=days)
            self.search([("hour", "<", cutoff)], limit=50000).unlink()
