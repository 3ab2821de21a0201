# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import T0, MonitoringCommon


@tagged("post_install", "-at_install")
class TestOverview(MonitoringCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()
        cls.viewer = new_test_user(
            cls.env, login="ls_viewer", groups="logistics_sync_base.group_logistics_sync_user"
        )

    def test_card_figures_and_the_records_behind_them(self):
        self._feed(dead=2)
        with freeze_time(T0 + timedelta(minutes=10)):
            card = self.endpoint.with_user(self.viewer)
            card.invalidate_recordset()
            self.assertEqual(card.mon_events_last_hour, 4)
            self.assertAlmostEqual(card.mon_failed_rate, 50.0)
            self.assertAlmostEqual(card.mon_p95_last_hour, 60.0)
            self.assertEqual((card.mon_dead_count, card.mon_waiting_count), (2, 0))
            self.assertEqual(card.circuit_state, "closed")
            Event = self.env["logistics.event"].with_user(self.viewer)
            for method, expected in (
                ("action_mon_last_hour", 4),
                ("action_mon_failed", 2),
                ("action_mon_dead", 2),
                ("action_mon_waiting", 0),
            ):
                action = getattr(card, method)()
                self.assertEqual(action["res_model"], "logistics.event")
                self.assertEqual(Event.search_count(action["domain"]), expected, method)
        with freeze_time(T0 + timedelta(hours=2)):
            card.invalidate_recordset()
            # the hour has passed: no event, no rate; the dead letters stay
            self.assertEqual((card.mon_events_last_hour, card.mon_failed_rate), (0, 0.0))
            self.assertEqual(card.mon_dead_count, 2)

    def test_history_button_opens_the_endpoint_rows(self):
        self._feed()
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Kpi._cron_compute()
        action = self.endpoint.with_user(self.viewer).action_mon_history()
        rows = self.Kpi.with_user(self.viewer).search(action["domain"])
        self.assertEqual(rows.endpoint_id, self.endpoint)
        self.assertEqual(sum(rows.mapped("received_count")), 3)
