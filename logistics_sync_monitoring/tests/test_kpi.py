# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, tagged

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestKpi(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()

    def test_daily_kpis_per_endpoint(self):
        picking = self._make_picking()
        self._ingest(
            event("k-1", picking.name, "booked", 1),
            event("k-2", picking.name, "picked_up", 2),
            event("k-3", "UNKNOWN-REF", "booked", 3),
        )
        self._process_pending()
        dead = self.env["logistics.event"].search([("external_id", "=", "k-3")])
        dead.write({"state": "dead"})
        self.env.flush_all()
        kpi = self.env["logistics.sync.kpi"].search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual(len(kpi), 1)
        self.assertEqual(kpi.event_count, 3)
        self.assertEqual(kpi.applied_count, 2)
        self.assertEqual(kpi.failed_count, 1)
        self.assertAlmostEqual(kpi.failed_rate, 100.0 / 3, places=2)
        self.assertGreaterEqual(kpi.avg_sync_latency, 0.0)
