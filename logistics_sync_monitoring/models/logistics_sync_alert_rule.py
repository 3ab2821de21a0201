# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import functools
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

FIGURES = [
    ("failed_rate", "Failed message rate (%)"),
    ("p95_latency", "p95 processing time, received to applied (s)"),
    ("events", "Events received"),
    ("dead_letters", "Dead letters"),
    ("oldest_dead_age", "Age of the oldest dead letter (h)"),
    ("waiting", "Waiting events"),
    ("circuit_open", "Circuit open (1 = open)"),
]


def breached(value, operator, threshold):
    """Whether a figure is outside its rule's threshold."""
    return value < threshold if operator == "below" else value > threshold


class LogisticsSyncAlertRule(models.Model):
    _name = "logistics.sync.alert.rule"
    _description = "Logistics Sync Alert Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    figure = fields.Selection(FIGURES, required=True, default="failed_rate")
    operator = fields.Selection(
        [("above", "Above"), ("below", "Below")], required=True, default="above"
    )
    threshold = fields.Float(required=True, default=5.0)
    window_minutes = fields.Integer(
        string="Window (min)",
        required=True,
        default=60,
        help="Rates, latency and event counts are over the events received in this window.",
    )
    endpoint_ids = fields.Many2many(
        "logistics.endpoint",
        string="Endpoints",
        check_company=True,
        # archived ones too: the form shows what the rule names (and that it watches nothing)
        context={"active_test": False},
        help="Empty: every active endpoint of the company. Archived endpoints are not "
        "watched: a rule whose endpoints are all archived watches nothing.",
    )
    watches_nothing = fields.Boolean(
        compute="_compute_watches_nothing",
        help="All the rule's endpoints are archived: it watches nothing.",
    )
    user_id = fields.Many2one(
        "res.users", string="Responsible", required=True, default=lambda self: self.env.user
    )
    escalation_minutes = fields.Integer(
        string="Escalate after (min)", help="0: never. Still open after this, the alert escalates."
    )
    escalation_user_id = fields.Many2one("res.users", string="Escalate to")
    send_email = fields.Boolean(
        string="Email", help="Also email the responsible (and the escalation user)."
    )
    alert_ids = fields.One2many("logistics.sync.alert", "rule_id", string="Alerts")
    open_alert_count = fields.Integer(string="Open alerts", compute="_compute_open_alert_count")

    _sql_constraints = [
        ("window_positive", "CHECK(window_minutes > 0)", "The window must be positive."),
        ("escalation_positive", "CHECK(escalation_minutes >= 0)", "The delay can't be negative."),
    ]

    @api.depends("endpoint_ids")
    def _compute_watches_nothing(self):
        for rule in self:
            chosen = rule.endpoint_ids
            rule.watches_nothing = bool(chosen) and not chosen.filtered("active")

    def _compute_open_alert_count(self):
        groups = dict(
            self.env["logistics.sync.alert"]._read_group(
                [("rule_id", "in", self.ids), ("state", "=", "open")], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.open_alert_count = groups.get(rule, 0)

    def action_view_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_monitoring.logistics_sync_alert_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        return action

    # --------------------------------------------------------------- figures
    def _endpoints(self):
        """The endpoints the rule watches: its active endpoints (none when all are
        archived), or every active endpoint of its company when it names none."""
        self.ensure_one()
        chosen = self.endpoint_ids
        if chosen:
            return self.env["logistics.endpoint"].browse(chosen.filtered("active").ids)
        return self.env["logistics.endpoint"].search([("company_id", "=", self.company_id.id)])

    @api.model
    def _figures(self, endpoints, window_minutes):
        """{endpoint id: {figure: value}} now, the windowed figures over the last
        ``window_minutes``: one indexed query."""
        now = fields.Datetime.now()
        since = now - timedelta(minutes=window_minutes)
        self.env["logistics.event"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT e.endpoint_id,
                   count(*) FILTER (WHERE e.received_at >= %(since)s),
                   count(*) FILTER (WHERE e.received_at >= %(since)s
                                      AND e.state IN ('failed', 'dead')),
                   percentile_cont(0.95) WITHIN GROUP (
                       ORDER BY EXTRACT(EPOCH FROM e.applied_at - e.received_at))
                       FILTER (WHERE e.received_at >= %(since)s),
                   count(*) FILTER (WHERE e.state = 'dead'),
                   min(COALESCE(e.last_failure_at, e.received_at)) FILTER (WHERE e.state = 'dead'),
                   count(*) FILTER (WHERE e.state = 'waiting')
              FROM logistics_event e
             WHERE e.endpoint_id = ANY(%(ids)s)
               AND (e.received_at >= %(since)s OR e.state IN ('dead', 'waiting'))
             GROUP BY e.endpoint_id
            """,
                since=since,
                ids=endpoints.ids,
            )
        )
        rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        result = {}
        for endpoint in endpoints:
            count, failed, p95, dead, oldest, waiting = rows.get(
                endpoint.id, (0, 0, None, 0, None, 0)
            )
            result[endpoint.id] = {
                "events": count,
                "failed_rate": 100.0 * failed / count if count else 0.0,
                "p95_latency": p95 or 0.0,
                "dead_letters": dead,
                "oldest_dead_age": (now - oldest).total_seconds() / 3600 if oldest else 0.0,
                "waiting": waiting,
                "circuit_open": 1.0 if endpoint.circuit_state == "open" else 0.0,
            }
        return result

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_evaluate(self):
        """Open, escalate and close alerts (one open alert per rule and endpoint);
        the alerts of endpoints the rule no longer watches close.  Endpoint by
        endpoint: one that fails never stops the others (``_cron_each``)."""
        rules = self.search([])
        Alert = self.env["logistics.sync.alert"]
        for rule in rules:
            endpoints = rule._endpoints()
            figures = self._figures(endpoints, rule.window_minutes) if endpoints else {}
            open_alerts = {
                a.endpoint_id.id: a
                for a in Alert.search([("rule_id", "=", rule.id), ("state", "=", "open")])
            }
            endpoints._cron_each(
                f"alert_rule_{rule.id}",
                self.env._("Alert rule %(rule)s", rule=rule.name),
                functools.partial(rule._evaluate_endpoint, figures, open_alerts),
            )
            unwatched = [a for eid, a in open_alerts.items() if eid not in endpoints.ids]
            Alert.browse([a.id for a in unwatched])._stop_watching()
        self.env["ir.cron"]._notify_progress(done=len(rules), remaining=0)

    def _evaluate_endpoint(self, figures, open_alerts, endpoint):
        """Raise, keep or close this rule's alert on one endpoint."""
        self.ensure_one()
        value = figures[endpoint.id][self.figure]
        alert = open_alerts.get(endpoint.id)
        if breached(value, self.operator, self.threshold):
            if alert:
                alert._still_breached(value)
            else:
                self.env["logistics.sync.alert"]._raise(self, endpoint, value)
        elif alert:
            alert._close(value)
