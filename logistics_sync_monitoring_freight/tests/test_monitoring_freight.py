# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The freight figures of the monitoring: deliveries done without a freight charge,
freight disputes' resolution time, the bills in the trace."""

from datetime import datetime, timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import MonitoringFreightCommon
from odoo.addons.logistics_sync_freight.tests.common import csv_bytes
from odoo.addons.logistics_sync_monitoring.tests.common import T0


@tagged("post_install", "-at_install")
class TestMonitoringFreight(MonitoringFreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring_freight()

    def test_done_without_a_freight_charge_after_n_days(self):
        carrier = self.env["delivery.carrier"].create(
            {
                "name": "Road",
                "product_id": self.env["product.product"]
                .create({"name": "Road freight", "type": "service"})
                .id,
            }
        )
        charged = self._done_picking({self.type_base: 100.0})
        uncharged = self._done_picking({self.type_base: 100.0})
        (charged | uncharged).carrier_id = carrier
        batch = self._import(csv_bytes(f"CI-M,2026-11-30,USD,{charged.name},,base,100,1,"))
        self.assertEqual(batch.state, "accepted", batch.errors)
        pickings = charged | uncharged
        self.env.flush_all()
        now = datetime.now()
        self.assertFalse(self._search("mon_no_freight_charge", pickings))
        with freeze_time(now + timedelta(days=8)):
            self.assertEqual(self._search("mon_no_freight_charge", pickings), uncharged)
            self.assertTrue(uncharged.with_user(self.clerk).mon_no_freight_charge)
            self.assertFalse(charged.with_user(self.clerk).mon_no_freight_charge)
            metrics = self.env["logistics.sync.metrics"].sudo()._collect()
            checks = {labels["check"]: n for labels, n in metrics["incomplete_shipments"]}
            self.assertGreaterEqual(checks["no_freight_charge"], 1)

    def test_resolution_time_of_freight_disputes(self):
        hour = datetime(2026, 11, 26, 9, 0)
        self.env["logistics.freight.tolerance"].create({"name": "Road: 10", "amount": 10.0})
        billed = self._done_picking({self.type_base: 100.0})
        with freeze_time(T0):
            batch = self._import(csv_bytes(f"CI-R,2026-11-26,USD,{billed.name},,liftgate,35,1,"))
        (charge,) = batch.invoice_ids.charge_ids
        self.assertEqual(charge.state, "disputed")
        with freeze_time(T0 + timedelta(hours=1)):  # 10:30, after 1 h
            # (the common env disables tracking; the dispute's end is read from it)
            charge.with_user(self.biller).with_context(tracking_disable=False).action_approve()
            self.env.cr.precommit.run()
        self.env.flush_all()
        for _again in range(2):  # recomputing gives the same figures
            self.Kpi._compute_hours(self.company, hour, hour + timedelta(hours=4), self.endpoint)
            rows = {
                row.hour: (row.exceptions_resolved, round(row.resolution_hours, 3))
                for row in self.Kpi.search([("endpoint_id", "=", self.endpoint.id)])
                if row.exceptions_resolved
            }
            self.assertEqual(rows, {hour + timedelta(hours=1): (1, 1.0)})
        viewer = new_test_user(
            self.env,
            login="ls_mon_viewer_freight",
            groups="logistics_sync_base.group_logistics_sync_user",
        )
        (total,) = (
            self.Kpi.with_user(viewer)
            .sudo(False)
            ._read_group(
                [("endpoint_id", "=", self.endpoint.id)],
                [],
                ["exceptions_resolved:sum", "resolution_hours:avg"],
            )
        )
        self.assertEqual(total[0], 1)
        self.assertAlmostEqual(total[1], 1.0, places=3)

    def test_trace_has_the_freight_bill(self):
        picking = self._done_picking({self.type_base: 50.0})
        batch = self._import(csv_bytes(f"CI-T,2026-11-30,USD,{picking.name},,base,50,1,"))
        self.assertEqual(batch.invoice_ids.charge_ids.state, "approved")
        bill = self.Charge._cron_settle()
        self.assertTrue(bill)
        move = batch.invoice_ids.charge_ids.move_id
        self.assertTrue(move)
        labels = [label for _when, label in picking._mon_hops()]
        self.assertIn(f"Freight charge billed ({move.name})", labels)
        self.assertIn(
            f"Freight charge billed ({move.name})", picking.with_user(self.clerk).mon_trace
        )
