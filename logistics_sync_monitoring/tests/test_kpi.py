# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime, timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from .common import T0, MonitoringCommon

HOUR = datetime(2026, 11, 26, 9, 0)


@tagged("post_install", "-at_install")
class TestKpiHistory(MonitoringCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()

    def _cron(self, at):
        with freeze_time(at):
            self.Kpi._cron_compute()

    def test_hourly_figures_per_endpoint(self):
        self._feed()
        self._cron(T0 + timedelta(minutes=5))
        row = self._row(HOUR)
        self.assertEqual(len(row), 1)
        self.assertEqual(
            (row.received_count, row.applied_count, row.dead_count, row.waiting_count),
            (3, 2, 1, 0),
        )
        self.assertAlmostEqual(row.failed_rate, 100.0 / 3, places=2)
        self.assertEqual(row.day, date(2026, 11, 26))
        # occurred 08:01 / 08:02 / 08:03, received 09:30: 89, 88 and 87 minutes
        self.assertAlmostEqual(row.lag_p50, 88 * 60)
        self.assertAlmostEqual(row.lag_p99, 89 * 60 - 60 * 0.02, places=3)
        # applied one minute after reception
        self.assertAlmostEqual(row.sync_p95, 60.0)
        self.assertAlmostEqual(row.total_p50, 89.5 * 60, places=3)
        self.assertEqual(row.dead_letter_count, 1)
        self.assertAlmostEqual(row.oldest_dead_age, 0.5)  # dead at 09:30, hour ends 10:00
        # every hour of the window has a row, empty ones with zeros
        rows = self.Kpi.search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual(len(rows), 7)
        self.assertEqual(sum(rows.mapped("received_count")), 3)

    def test_recomputing_gives_the_same_figures(self):
        self._feed()
        self._cron(T0 + timedelta(minutes=5))
        fields_ = ["received_count", "applied_count", "dead_count", "sync_p95", "lag_p99"]
        before = self._row(HOUR).read(fields_)
        count = self.Kpi.search_count([])
        self._cron(T0 + timedelta(minutes=15))
        self.assertEqual(self._row(HOUR).read(fields_), before)
        self.assertEqual(self.Kpi.search_count([]), count)

    def test_figures_stay_right_after_the_retention_job(self):
        self.endpoint.retention_days = 30
        events = self._feed()
        self._cron(T0 + timedelta(minutes=5))
        later = T0 + timedelta(days=31)
        with freeze_time(later):
            self.env["logistics.event"]._gc_expired_events()
        # the applied events are gone, the dead letter stays
        self.assertEqual(events.exists().mapped("state"), ["dead"])
        self._cron(later)
        row = self._row(HOUR)
        self.assertEqual((row.received_count, row.applied_count, row.dead_count), (3, 2, 1))
        self.assertAlmostEqual(row.failed_rate, 100.0 / 3, places=2)
        self.assertAlmostEqual(row.sync_p95, 60.0)

    def test_running_totals_for_the_counters(self):
        self._feed(prefix="a", dead=1)  # 3 events at 09:30
        self._cron(T0 + timedelta(minutes=5))
        later = T0 + timedelta(hours=10)  # 19:30: the window no longer holds 09:00
        self._feed(prefix="b", at=later, dead=0)  # 2 events
        self._cron(later + timedelta(minutes=5))
        self._cron(later + timedelta(minutes=15))  # recomputing does not add up twice
        latest = self.Kpi.search([("endpoint_id", "=", self.endpoint.id)], limit=1)
        self.assertEqual(latest.hour, datetime(2026, 11, 26, 19, 0))
        self.assertEqual((latest.received_total, latest.applied_total), (5, 4))
        self.assertEqual(self._row(HOUR).received_total, 3)

    def test_hours_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Kolkata"  # UTC+05:30
        self._feed()
        self._cron(T0 + timedelta(minutes=5))
        # 09:30 UTC is 15:00 in Kolkata: that hour starts at 09:30 UTC
        row = self._row(datetime(2026, 11, 26, 9, 30))
        self.assertEqual((row.received_count, row.hour_of_day), (3, 15))
        self.assertFalse(self._row(HOUR))

    def test_grouped_failed_rate_is_a_rate_not_an_average(self):
        self._feed(prefix="a", dead=1)  # 1 of 3 dead at 09:xx
        self._feed(prefix="b", at=T0 + timedelta(hours=1), dead=0)  # 0 of 2 at 10:xx
        self._cron(T0 + timedelta(hours=1, minutes=5))
        groups = self.Kpi.read_group(
            [("endpoint_id", "=", self.endpoint.id)], ["failed_rate:avg"], ["endpoint_id"]
        )
        self.assertAlmostEqual(groups[0]["failed_rate"], 20.0)  # 1 / 5, not (33.3 + 0) / 2

    def test_circuit_openings_are_counted(self):
        self.endpoint.circuit_threshold = 2
        self.env.flush_all()  # the circuit reads its row in SQL
        circuit = "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit"
        with freeze_time(T0), self.assertLogs(circuit, "WARNING"):
            self.endpoint._circuit_record(False, "down")
            self.endpoint._circuit_record(False, "down")
        self.assertEqual(self.endpoint.circuit_state, "open")
        self._cron(T0 + timedelta(minutes=5))
        self.assertEqual(self._row(HOUR).circuit_openings, 1)
        self.assertEqual(
            self.env["logistics.circuit.opening"].search([]).mapped("endpoint_id"), self.endpoint
        )
        # the overview card counts the openings of the last 24 hours
        with freeze_time(T0 + timedelta(hours=23)):
            self.endpoint.invalidate_recordset(["mon_circuit_openings_24h"])
            self.assertEqual(self.endpoint.mon_circuit_openings_24h, 1)
        with freeze_time(T0 + timedelta(hours=25)):
            self.endpoint.invalidate_recordset(["mon_circuit_openings_24h"])
            self.assertEqual(self.endpoint.mon_circuit_openings_24h, 0)

    def test_release_backlog_is_soft(self):
        backlog = self.Kpi._monitoring_release_backlog(self.endpoint)
        if "logistics.tms.release" not in self.env:
            self.assertEqual(backlog, {})
        self.assertEqual(self.Kpi._monitoring_booking_backlog(self.endpoint), {self.endpoint.id: 0})
