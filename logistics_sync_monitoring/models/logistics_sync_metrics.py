# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.tools import SQL

from ..lib import exposition

STATES_COUNTED = ("received", "waiting", "failed", "dead")
JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started", "failed")


class LogisticsSyncMetrics(models.AbstractModel):
    """The figures behind GET /logistics_sync/metrics, read from the database (the
    same answer from every worker) and cheap: the history table, indexed counts of
    the few unfinished events and jobs, never a scan of all events."""

    _name = "logistics.sync.metrics"
    _description = "Logistics Sync Metrics"

    @api.model
    def _collect(self):
        """Plain values: {metric name: [(labels dict, value)]}."""
        cr = self.env.cr
        endpoints = {
            e.id: e
            for e in self.env["logistics.endpoint"].with_context(active_test=False).search([])
        }
        code = {eid: e.code for eid, e in endpoints.items()}
        out = {name: [] for name in exposition.METRICS}

        # the latest row of each endpoint (an index lookup per endpoint, however
        # long the history): running totals for the counters, the last hour's figures
        cr.execute(
            SQL(
                """
                SELECT ep.id, k.failed_rate, k.lag_p50, k.lag_p95, k.lag_p99, k.sync_p50,
                       k.sync_p95, k.sync_p99, k.total_p50, k.total_p95, k.total_p99,
                       k.booking_backlog, k.release_backlog, k.received_total,
                       k.applied_total, k.superseded_total, k.retry_total,
                       k.circuit_openings_total
                  FROM logistics_endpoint ep
                 CROSS JOIN LATERAL (
                       SELECT * FROM logistics_sync_kpi k
                        WHERE k.endpoint_id = ep.id ORDER BY k.hour DESC LIMIT 1) k
                """
            )
        )
        for row in cr.fetchall():
            labels = {"endpoint": code.get(row[0], str(row[0]))}
            out["failed_rate"].append((labels, row[1] / 100.0))
            for span, values in (("source", row[2:5]), ("sync", row[5:8]), ("total", row[8:11])):
                for quantile, value in zip(("0.5", "0.95", "0.99"), values, strict=True):
                    out["latency_seconds"].append(
                        ({**labels, "span": span, "quantile": quantile}, value)
                    )
            out["booking_backlog"].append((labels, row[11]))
            out["release_backlog"].append((labels, row[12]))
            for name, value in zip(
                (
                    "events_received",
                    "events_applied",
                    "events_superseded",
                    "event_retries",
                    "circuit_openings",
                ),
                row[13:18],
                strict=True,
            ):
                out[name].append((labels, value))

        cr.execute(
            SQL(
                "SELECT endpoint_id, state, count(*),"
                " EXTRACT(EPOCH FROM now() AT TIME ZONE 'UTC'"
                " - min(COALESCE(last_failure_at, received_at)))"
                " FROM logistics_event WHERE state = ANY(%s) GROUP BY endpoint_id, state",
                list(STATES_COUNTED),
            )
        )
        seen = set()
        for eid, state, count, oldest in cr.fetchall():
            labels = {"endpoint": code.get(eid, str(eid))}
            out["events_unfinished"].append(({**labels, "state": state}, count))
            seen.add((eid, state))
            if state == "dead":
                out["dead_letter_oldest_age_seconds"].append((labels, oldest))
        for eid in endpoints:
            for state in STATES_COUNTED:
                if (eid, state) not in seen:
                    out["events_unfinished"].append(({"endpoint": code[eid], "state": state}, 0))

        for eid, endpoint in endpoints.items():
            for state in ("closed", "open", "half_open"):
                out["circuit_state"].append(
                    ({"endpoint": code[eid], "state": state}, int(endpoint.circuit_state == state))
                )
            out["endpoint_active"].append(({"endpoint": code[eid]}, int(endpoint.active)))

        cr.execute(
            SQL(
                "SELECT channel, state, count(*) FROM queue_job WHERE state = ANY(%s)"
                " GROUP BY channel, state",
                list(JOB_STATES),
            )
        )
        for channel, state, count in cr.fetchall():
            out["jobs"].append(({"channel": channel or "root", "state": state}, count))

        cr.execute(
            SQL(
                "SELECT a.endpoint_id, count(*) FROM logistics_sync_alert a"
                " WHERE a.state = 'open' GROUP BY a.endpoint_id"
            )
        )
        for eid, count in cr.fetchall():
            out["alerts_open"].append(({"endpoint": code.get(eid, str(eid))}, count))

        Picking = self.env["stock.picking"]
        for check, domain in Picking._mon_domains().items():
            out["incomplete_shipments"].append(({"check": check}, Picking.search_count(domain)))
        return out

    @api.model
    def _render(self):
        return exposition.render(self._collect())
