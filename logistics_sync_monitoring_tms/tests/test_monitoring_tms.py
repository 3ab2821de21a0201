# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS figures of the monitoring: release backlog, unanswered releases, rejected
tenders' resolution time, the TMS hops of the trace."""

from datetime import datetime, timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import T0, MonitoringTmsCommon


@tagged("post_install", "-at_install")
class TestMonitoringTms(MonitoringTmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring_tms()

    def test_release_backlog_counts_the_releases_waiting_for_the_tms(self):
        pickings = [self._make_picking() for _i in range(5)]
        for picking, state in zip(
            pickings, ("blocked", "queued", "sent", "accepted", "rejected"), strict=True
        ):
            self._release(picking, state)
        self.assertEqual(self.Kpi._monitoring_release_backlog(self.endpoint), {self.endpoint.id: 3})

    def test_released_without_an_answer(self):
        waiting, answered, young = (self._make_picking() for _i in range(3))
        self._release(waiting, "sent", T0)
        self._release(answered, "accepted", T0)
        self._release(young, "sent", T0 + timedelta(hours=3))
        pickings = waiting | answered | young
        self.env.flush_all()
        with freeze_time(T0 + timedelta(hours=3)):
            self.assertFalse(self._search("mon_released_unanswered", pickings))
        with freeze_time(T0 + timedelta(hours=5)):
            self.assertEqual(self._search("mon_released_unanswered", pickings), waiting)
            waiting.invalidate_recordset()
            self.assertTrue(waiting.with_user(self.clerk).mon_released_unanswered)
            self.assertFalse(answered.with_user(self.clerk).mon_released_unanswered)
            others = self.env["stock.picking"].search(
                [("id", "in", pickings.ids), ("mon_released_unanswered", "=", False)]
            )
            self.assertEqual(others, answered | young)
            metrics = self.env["logistics.sync.metrics"].sudo()._collect()
            checks = {labels["check"]: n for labels, n in metrics["incomplete_shipments"]}
            self.assertGreaterEqual(checks["released_unanswered"], 1)

    def test_resolution_time_of_rejected_tenders(self):
        hour = datetime(2026, 11, 26, 9, 0)
        tendered = self._make_picking()
        self._release(tendered, "accepted")
        self._tms_answer(tendered, "rejected", T0)
        self._tms_answer(tendered, "carrier_assigned", T0 + timedelta(minutes=30))
        self._tms_answer(tendered, "accepted", T0 + timedelta(hours=2))  # 11:30, after 2 h
        self._tms_answer(tendered, "planned", T0 + timedelta(hours=2, minutes=10))  # not again
        self.env.flush_all()
        for _again in range(2):  # recomputing gives the same figures
            self.Kpi._compute_hours(self.company, hour, hour + timedelta(hours=4), self.endpoint)
            rows = {
                row.hour: (row.exceptions_resolved, round(row.resolution_hours, 3))
                for row in self.Kpi.search([("endpoint_id", "=", self.endpoint.id)])
                if row.exceptions_resolved
            }
            self.assertEqual(rows, {hour + timedelta(hours=2): (1, 2.0)})
        viewer = new_test_user(
            self.env,
            login="ls_mon_viewer_tms",
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
        self.assertAlmostEqual(total[1], 2.0, places=3)

    def test_trace_has_the_tms_hops(self):
        picking = self._make_picking()
        self._release(picking, "planned", T0)
        self._tms_answer(picking, "accepted", T0 + timedelta(minutes=20))
        self._tms_answer(picking, "planned", T0 + timedelta(hours=1, minutes=20))
        labels = [label for _when, label in picking._mon_hops()]
        released = labels.index(f"Released to the TMS ({self.endpoint.name})")
        self.assertEqual(
            labels[released + 1 : released + 3], ["Accepted by the TMS", "Planned by the TMS"]
        )
        self.assertNotIn("tms_update", " ".join(labels))
        trace = picking.with_user(self.clerk).mon_trace
        self.assertIn("Planned by the TMS", trace)
        self.assertIn("1 h 00 min", trace)  # accepted 09:50, planned 10:50
