# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import T0, MonitoringCommon


@tagged("post_install", "-at_install")
class TestAlerts(MonitoringCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()
        cls.manager = new_test_user(
            cls.env,
            login="ls_alert_manager",
            groups="logistics_sync_base.group_logistics_sync_manager",
        )
        cls.boss = new_test_user(
            cls.env,
            login="ls_boss",
            email="boss@example.com",
            groups="logistics_sync_base.group_logistics_sync_user",
        )
        cls.Alert = cls.env["logistics.sync.alert"]
        cls.rule = (
            cls.env["logistics.sync.alert.rule"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Dead letters",
                    "figure": "dead_letters",
                    "threshold": 0,
                    "window_minutes": 60,
                    "endpoint_ids": [(6, 0, cls.endpoint.ids)],
                    "user_id": cls.responsible.id,
                    "escalation_minutes": 30,
                    "escalation_user_id": cls.boss.id,
                    "send_email": True,
                }
            )
        )

    def _evaluate(self, at):
        with freeze_time(at):
            self.env["logistics.sync.alert.rule"]._cron_evaluate()

    def _activities(self, alert):
        return self.env["mail.activity"].search(
            [("res_model", "=", alert._name), ("res_id", "=", alert.id)]
        )

    def test_alert_opens_once_escalates_and_closes(self):
        self._evaluate(T0)
        self.assertFalse(self.Alert.search([]))  # all normal: nothing
        events = self._feed(dead=1)
        self._evaluate(T0 + timedelta(minutes=5))
        alert = self.Alert.search([("rule_id", "=", self.rule.id)])
        self.assertEqual((len(alert), alert.state, alert.value), (1, "open", 1.0))
        activity = self._activities(alert)
        self.assertEqual(activity.user_id, self.responsible)
        # emailed: the responsible is a recipient of the alert's message
        notified = self.env["mail.notification"].search(
            [
                ("mail_message_id.model", "=", alert._name),
                ("mail_message_id.res_id", "=", alert.id),
                ("mail_message_id.message_type", "=", "comment"),  # not the activity's
                ("res_partner_id", "=", self.responsible.partner_id.id),
            ]
        )
        self.assertEqual(notified.mapped("notification_type"), ["email"])
        # still breached 10 min later: the same alert, no second activity
        self._evaluate(T0 + timedelta(minutes=15))
        self.assertEqual(self.Alert.search_count([("rule_id", "=", self.rule.id)]), 1)
        self.assertEqual(len(self._activities(alert)), 1)
        # after the escalation delay: an activity for the escalation user, once
        self._evaluate(T0 + timedelta(minutes=40))
        self._evaluate(T0 + timedelta(minutes=45))
        self.assertEqual(self._activities(alert).user_id, self.responsible | self.boss)
        self.assertTrue(alert.escalated_at)
        # the dead letter is dealt with: the alert closes itself, activities done
        with freeze_time(T0 + timedelta(minutes=50)):
            events.filtered(lambda e: e.state == "dead")._set_processing({"state": "discarded"})
        self._evaluate(T0 + timedelta(minutes=55))
        self.assertEqual(alert.state, "closed")
        self.assertAlmostEqual(alert.resolution_hours, 50 / 60, places=3)
        self.assertFalse(self._activities(alert))
        # breached again later: a new alert, the closed one stays closed
        self._feed(prefix="again", at=T0 + timedelta(hours=2), dead=1)
        self._evaluate(T0 + timedelta(hours=2, minutes=5))
        self.assertEqual(
            self.Alert.search([("rule_id", "=", self.rule.id)]).mapped("state"), ["open", "closed"]
        )

    def test_failed_rate_window_and_other_endpoints(self):
        other = self.env["logistics.endpoint"].create({"name": "Quiet", "code": "quiet"})
        rule = self.rule.copy(
            {
                "name": "Failures",
                "figure": "failed_rate",
                "threshold": 20,
                "endpoint_ids": False,
                "window_minutes": 30,
                "escalation_minutes": 0,
                "send_email": False,
            }
        )
        self._feed(dead=1)  # 1 of 3
        self._evaluate(T0 + timedelta(minutes=5))
        alerts = self.Alert.search([("rule_id", "=", rule.id)])
        self.assertEqual(alerts.endpoint_id, self.endpoint)  # not the quiet one
        self.assertNotIn(other, alerts.endpoint_id)
        # the window has passed: no events in it, rate 0: closed
        self._evaluate(T0 + timedelta(minutes=45))
        self.assertEqual(alerts.state, "closed")

    def test_a_user_cannot_write_rules(self):
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.rule.with_user(self.responsible).write({"threshold": 100})
        self.assertEqual(self.rule.threshold, 0)
