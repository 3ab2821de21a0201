# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import T0, MonitoringCommon
from odoo.addons.logistics_sync_base.tests.common import event


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

    def test_latency_is_kept_to_the_millisecond(self):
        """Received and applied times keep their microseconds: a card reads 250 ms,
        not 0 s (Odoo's own clock, fields.Datetime.now(), drops them)."""
        picking = self._make_picking()
        with freeze_time(T0 + timedelta(microseconds=100_000)):
            events = self._ingest(event("ms-1", picking.name, "booked", 1))
        with freeze_time(T0 + timedelta(microseconds=350_000)):
            self._process_pending()
        self.assertEqual(events.state, "applied")
        self.assertEqual(events.received_at.microsecond, 100_000)
        self.assertEqual((events.applied_at - events.received_at).total_seconds(), 0.25)
        with freeze_time(T0 + timedelta(minutes=5)):
            card = self.endpoint.with_user(self.viewer)
            card.invalidate_recordset()
            self.assertAlmostEqual(card.mon_p95_last_hour, 0.25)
            self.Kpi._cron_compute()
        self.assertAlmostEqual(self._row(T0.replace(minute=0)).sync_p95, 0.25)

    def test_trend_counts_the_received_events_of_each_of_the_last_7_days(self):
        self._feed(dead=0)  # 2 events at T0
        self._feed(prefix="y", at=T0 - timedelta(days=1), dead=1)  # 3 the day before
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Kpi._cron_compute(lookback_hours=30)
            card = self.endpoint.with_user(self.viewer)
            card.invalidate_recordset()
            trend = json.loads(card.mon_trend)
        values = [point["value"] for point in trend[0]["values"]]
        self.assertEqual(values, [0, 0, 0, 0, 0, 3, 2])
        self.assertFalse(trend[0]["is_sample_data"])

    def test_history_button_opens_the_endpoint_rows(self):
        self._feed()
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Kpi._cron_compute()
        action = self.endpoint.with_user(self.viewer).action_mon_history()
        rows = self.Kpi.with_user(self.viewer).search(action["domain"])
        self.assertEqual(rows.endpoint_id, self.endpoint)
        self.assertEqual(sum(rows.mapped("received_count")), 3)
