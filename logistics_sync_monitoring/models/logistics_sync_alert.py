# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

ACTIVITY_TYPE = "logistics_sync_monitoring.mail_activity_sync_alert"


class LogisticsSyncAlert(models.Model):
    """An alert rule breached on an endpoint: open until the figure is back to normal."""

    _name = "logistics.sync.alert"
    _description = "Logistics Sync Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state desc, opened_at desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    rule_id = fields.Many2one(
        "logistics.sync.alert.rule",
        string="Alert rule",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True, index=True)
    figure = fields.Selection(related="rule_id.figure", store=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")], default="open", required=True, index=True
    )
    opened_at = fields.Datetime(
        string="Opened", required=True, readonly=True, default=fields.Datetime.now
    )
    closed_at = fields.Datetime(string="Closed", readonly=True)
    escalated_at = fields.Datetime(string="Escalated", readonly=True)
    value = fields.Float(string="Value when raised", readonly=True)
    last_value = fields.Float(string="Last value", readonly=True)
    resolution_hours = fields.Float(
        string="Resolution time (h)",
        readonly=True,
        aggregator="avg",
        help="From raised to back to normal.",
    )

    def init(self):
        # one open alert per rule and endpoint, even with two cron workers racing
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS logistics_sync_alert_open_unique"
                " ON logistics_sync_alert (rule_id, endpoint_id) WHERE state = 'open'"
            )
        )

    @api.depends("rule_id.name", "endpoint_id.name")
    def _compute_name(self):
        for alert in self:
            alert.name = f"{alert.rule_id.name}: {alert.endpoint_id.name}"

    @api.model
    def _raise(self, rule, endpoint, value):
        alert = self.create(
            {"rule_id": rule.id, "endpoint_id": endpoint.id, "value": value, "last_value": value}
        )
        alert._notify(rule.user_id, alert._summary())
        return alert

    def _summary(self):
        self.ensure_one()
        rule = self.rule_id
        return self.env._(
            "%(figure)s on %(endpoint)s is %(value).2f (%(operator)s %(threshold).2f)",
            figure=dict(rule._fields["figure"]._description_selection(self.env))[rule.figure],
            endpoint=self.endpoint_id.name,
            value=self.last_value,
            operator=rule.operator,
            threshold=rule.threshold,
        )

    def _notify(self, user, summary):
        self.ensure_one()
        self.activity_schedule(ACTIVITY_TYPE, summary=summary, user_id=user.id)
        if self.rule_id.send_email:
            self.message_post(
                body=summary,
                partner_ids=user.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        else:
            self.message_post(body=summary)

    def _still_breached(self, value):
        self.ensure_one()
        self.last_value = value
        rule = self.rule_id
        due = self.opened_at + timedelta(minutes=rule.escalation_minutes)
        if rule.escalation_minutes and not self.escalated_at and fields.Datetime.now() >= due:
            self.escalated_at = fields.Datetime.now()
            user = rule.escalation_user_id or rule.user_id
            self._notify(
                user,
                self.env._(
                    "Escalated, open since %(since)s: %(s)s",
                    since=self.opened_at,
                    s=self._summary(),
                ),
            )

    def _close(self, value, feedback=None):
        now = fields.Datetime.now()
        for alert in self:
            alert.write(
                {
                    "state": "closed",
                    "closed_at": now,
                    "last_value": value,
                    "resolution_hours": (now - alert.opened_at).total_seconds() / 3600,
                }
            )
            alert.activity_ids.action_feedback(
                feedback=feedback or self.env._("Back to normal (%(value).2f).", value=value)
            )

    def _stop_watching(self):
        """The rule no longer watches these alerts' endpoints (archived, or taken off
        the rule): they close, saying why."""
        for alert in self:
            note = self.env._(
                "Closed: %(rule)s no longer watches %(endpoint)s (archived, or taken off the rule).",
                rule=alert.rule_id.name,
                endpoint=alert.endpoint_id.name,
            )
            if not alert.activity_ids:
                alert.message_post(body=note)  # else the activity's feedback says it
            alert._close(alert.last_value, feedback=note)
