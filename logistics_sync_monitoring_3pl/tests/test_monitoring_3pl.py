# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Inventory accuracy of 3PL warehouses in the KPI history: the last reconciliation
of each warehouse as of each hour's end, line-based, grouped as a ratio."""

from datetime import datetime, timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from .common import Monitoring3plCommon
from odoo.addons.logistics_sync_monitoring.tests.common import T0

HOUR = datetime(2026, 11, 26, 9, 0)


@tagged("post_install", "-at_install")
class TestMonitoring3pl(Monitoring3plCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring_3pl()

    def _cron(self, at):
        with freeze_time(at):
            self.Kpi._cron_compute()

    def _figures(self):
        rows = (
            self.Kpi.with_user(self.clerk)
            .search([("endpoint_id", "=", self.endpoint.id)])
            .sorted("hour")
        )
        return {
            row.hour: (
                row.inventory_lines_compared,
                row.inventory_lines_matching,
                row.inventory_accuracy,
            )
            for row in rows
        }

    def test_accuracy_per_hour_from_the_last_reconciliation(self):
        self._snapshot(self.lyon, T0, 10, 8)  # 09:30
        self._snapshot(self.lyon, T0 + timedelta(hours=2), 10, 9)  # 11:30 replaces it
        self._snapshot(self.lille, T0 + timedelta(hours=1), 30, 30)  # 10:30, the other one
        self._cron(T0 + timedelta(hours=2, minutes=5))
        figures = self._figures()
        self.assertEqual(figures[HOUR - timedelta(hours=1)], (0, 0, 0.0))  # before any
        self.assertEqual(figures[HOUR], (10, 8, 80.0))
        self.assertEqual(figures[HOUR + timedelta(hours=1)], (40, 38, 95.0))  # both
        self.assertEqual(figures[HOUR + timedelta(hours=2)], (40, 39, 97.5))
        # recomputing the same hours gives the same figures
        self._cron(T0 + timedelta(hours=2, minutes=10))
        self.assertEqual(self._figures(), figures)
        # grouped: matching over compared of the hours, not an average of rates
        groups = self.Kpi.with_user(self.clerk).read_group(
            [("endpoint_id", "=", self.endpoint.id)], ["inventory_accuracy:avg"], ["endpoint_id"]
        )
        self.assertAlmostEqual(groups[0]["inventory_accuracy"], 100.0 * (8 + 38 + 39) / 90)
        # an endpoint operating no warehouse has no figure
        other = self.Kpi.search([("endpoint_id", "!=", self.endpoint.id)])
        self.assertFalse(any(other.mapped("inventory_lines_compared")))
