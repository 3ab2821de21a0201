# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL, format_date


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    mon_events_last_hour = fields.Integer(string="Events (last hour)", compute="_compute_mon")
    mon_p95_last_hour = fields.Float(
        string="p95 processing time (s)",
        compute="_compute_mon",
        digits=(16, 3),
        help="95th percentile of the time from received to applied, over the events "
        "received in the last hour (to the millisecond).",
    )
    mon_failed_rate = fields.Float(
        string="Failed rate (%)",
        compute="_compute_mon",
        help="Failed or dead among the events received in the last hour.",
    )
    mon_failed_last_hour = fields.Integer(string="Failed (last hour)", compute="_compute_mon")
    mon_waiting_count = fields.Integer(
        string="Waiting",
        compute="_compute_mon",
        help="Events waiting for their transfer or for its validation.",
    )
    mon_dead_count = fields.Integer(
        string="Dead letters",
        compute="_compute_mon",
        help="Events that could not be applied: fix the cause, then replay them.",
    )
    mon_circuit_openings_24h = fields.Integer(
        string="Circuit openings (24 h)",
        compute="_compute_mon",
        help="Times the endpoint's circuit breaker opened in the last 24 hours.",
    )
    mon_trend = fields.Text(
        string="Events received (7 days)",
        compute="_compute_mon_trend",
        help="Events received per day over the last 7 days, from the KPI history.",
    )

    def write(self, vals):
        # The circuit breaker writes its state in a transaction of its own (see
        # logistics_endpoint_circuit.py): an opening is logged in that same
        # transaction, so it stays even when the failing job rolls back.
        if vals.get("circuit_state") == "open":
            opening = self.filtered(lambda e: e.circuit_state != "open")
            now = fields.Datetime.now()
            self.env["logistics.circuit.opening"].sudo().create(
                [
                    {
                        "endpoint_id": endpoint.id,
                        "opened_at": now,
                        "error": vals.get("circuit_last_error"),
                    }
                    for endpoint in opening
                ]
            )
        return super().write(vals)

    # ------------------------------------------------------------- overview
    def _mon_since(self):
        return fields.Datetime.now() - timedelta(hours=1)

    def _compute_mon(self):
        """One indexed query for all cards: the last hour's events, and the
        waiting and dead ones (few, by the state index); never all events."""
        figures = {}
        if self.ids:
            self.env["logistics.event"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                SELECT e.endpoint_id,
                       count(*) FILTER (WHERE e.received_at >= %(since)s),
                       percentile_cont(0.95) WITHIN GROUP (
                           ORDER BY EXTRACT(EPOCH FROM e.applied_at - e.received_at))
                           FILTER (WHERE e.received_at >= %(since)s),
                       count(*) FILTER (WHERE e.received_at >= %(since)s
                                          AND e.state IN ('failed', 'dead')),
                       count(*) FILTER (WHERE e.state = 'waiting'),
                       count(*) FILTER (WHERE e.state = 'dead')
                  FROM logistics_event e
                 WHERE e.endpoint_id = ANY(%(ids)s)
                   AND (e.received_at >= %(since)s OR e.state IN ('waiting', 'dead'))
                 GROUP BY e.endpoint_id
                """,
                    since=self._mon_since(),
                    ids=self.ids,
                )
            )
            figures = {row[0]: row[1:] for row in self.env.cr.fetchall()}
            openings = dict(
                self.env["logistics.circuit.opening"]
                .sudo()
                ._read_group(
                    [
                        ("endpoint_id", "in", self.ids),
                        ("opened_at", ">=", fields.Datetime.now() - timedelta(hours=24)),
                    ],
                    ["endpoint_id"],
                    ["__count"],
                )
            )
        else:
            openings = {}
        for endpoint in self:
            count, p95, failed, waiting, dead = figures.get(endpoint.id, (0, None, 0, 0, 0))
            endpoint.mon_events_last_hour = count
            endpoint.mon_p95_last_hour = p95 or 0.0
            endpoint.mon_failed_last_hour = failed
            endpoint.mon_failed_rate = 100.0 * failed / count if count else 0.0
            endpoint.mon_waiting_count = waiting
            endpoint.mon_dead_count = dead
            endpoint.mon_circuit_openings_24h = openings.get(endpoint, 0)

    def _compute_mon_trend(self):
        """Daily received events of the last 7 days (KPI history, the company's
        days), in the format of the ``dashboard_graph`` widget of Odoo's own cards."""
        today = fields.Date.context_today(self)
        days = [today - timedelta(days=n) for n in range(6, -1, -1)]
        counts = {}
        if self.ids:
            rows = (
                self.env["logistics.sync.kpi"]
                .sudo()
                ._read_group(
                    [("endpoint_id", "in", self.ids), ("day", ">=", days[0])],
                    ["endpoint_id", "day:day"],
                    ["received_count:sum"],
                )
            )
            counts = {(endpoint.id, day): total for endpoint, day, total in rows}
        for endpoint in self:
            values = [
                {
                    "label": format_date(self.env, day, date_format="EEE d"),
                    "value": counts.get((endpoint.id, day), 0),
                    "type": "past",
                }
                for day in days
            ]
            endpoint.mon_trend = json.dumps(
                [
                    {
                        "key": self.env._("Events received"),
                        "values": values,
                        "is_sample_data": False,
                    }
                ]
            )

    def _mon_events_action(self, domain, name):
        action = self.action_view_events()
        action["domain"] = [("endpoint_id", "=", self.id)] + domain
        action["name"] = name
        return action

    def action_mon_last_hour(self):
        self.ensure_one()
        return self._mon_events_action(
            [("received_at", ">=", self._mon_since())],
            self.env._("%(name)s: events of the last hour", name=self.name),
        )

    def action_mon_failed(self):
        self.ensure_one()
        return self._mon_events_action(
            [("received_at", ">=", self._mon_since()), ("state", "in", ("failed", "dead"))],
            self.env._("%(name)s: failed events of the last hour", name=self.name),
        )

    def action_mon_waiting(self):
        self.ensure_one()
        return self._mon_events_action(
            [("state", "=", "waiting")], self.env._("%(name)s: waiting events", name=self.name)
        )

    def action_mon_dead(self):
        self.ensure_one()
        return self._mon_events_action(
            [("state", "=", "dead")], self.env._("%(name)s: dead letters", name=self.name)
        )

    def action_mon_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_monitoring.logistics_sync_kpi_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["name"] = self.env._("%(name)s: KPI history", name=self.name)
        return action

    def action_mon_circuit(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("%(name)s: circuit openings", name=self.name),
            "res_model": "logistics.circuit.opening",
            "view_mode": "list",
            "domain": [("endpoint_id", "=", self.id)],
        }
