# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from ..models.stock_picking import _seconds
from .common import T0, MonitoringCommon
from odoo.addons.logistics_sync_base.tests.common import event


@tagged("post_install", "-at_install")
class TestCompleteness(MonitoringCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()
        cls.clerk = new_test_user(
            cls.env,
            login="ls_stock_clerk",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )

    def _search(self, field):
        return self.env["stock.picking"].with_user(self.clerk).search([(field, "=", True)])

    def test_missing_tracking_and_silent_shipments(self):
        tracked, untracked = self._make_picking(), self._make_picking()
        with freeze_time(T0):
            self._validate(tracked)
            self._validate(untracked)
            tracked.carrier_tracking_ref = "TRK-1"
            self._ingest(event("s-1", tracked.name, "picked_up", 0))
            self._process_pending()
        self.env.flush_all()
        with freeze_time(T0 + timedelta(hours=3)):
            self.assertFalse(self._search("mon_missing_tracking") & (tracked | untracked))
        with freeze_time(T0 + timedelta(hours=5)):
            self.assertEqual(
                self._search("mon_missing_tracking") & (tracked | untracked), untracked
            )
            found = self.env["stock.picking"].search(
                [("id", "in", (tracked | untracked).ids), ("mon_missing_tracking", "=", False)]
            )
            self.assertEqual(found, tracked)
            self.assertFalse(self._search("mon_silent") & tracked)
            untracked.invalidate_recordset()
            self.assertTrue(untracked.mon_missing_tracking)
        with freeze_time(T0 + timedelta(hours=25)):
            self.assertEqual(tracked.logistics_milestone, "picked_up")
            self.assertEqual(self._search("mon_silent") & (tracked | untracked), tracked)

    def test_trace_lists_every_hop_with_its_duration(self):
        picking = self._make_picking()
        with freeze_time(T0):
            self._validate(picking)
        with freeze_time(T0 + timedelta(hours=2)):
            self._ingest(
                event("t-1", picking.name, "picked_up", 120),
                event("t-2", picking.name, "in_transit", 180),
            )
            self._process_pending()
        hops = picking._mon_hops()
        # (the transfer's creation is stamped by the database clock, not the frozen one)
        labels = [label for _when, label in hops if label != "Transfer created"]
        self.assertEqual(
            labels,
            [
                "Transfer validated",
                "Picked up, reported by Test carrier",
                "In transit, reported by Test carrier",
            ],
        )
        self.clerk.tz = "Europe/Paris"
        trace = picking.with_user(self.clerk).mon_trace
        self.assertIn("In transit, reported by Test carrier", trace)
        self.assertIn("1 h 00 min", trace)  # picked up 10:00, in transit 11:00
        # in the user's time zone (validated 09:30 UTC: 10:30 in Paris in November)
        self.assertIn("10:30:00", trace)
        self.assertNotIn("09:30:00", trace)
        self.assertNotIn("UTC", trace)

    def test_trace_durations_read_at_their_scale(self):
        self.assertEqual(_seconds(timedelta(seconds=15)), "15 s")
        self.assertEqual(_seconds(timedelta(minutes=4, seconds=5)), "4 min 05 s")
        self.assertEqual(_seconds(timedelta(hours=1)), "1 h 00 min")
        self.assertEqual(_seconds(timedelta(days=3, hours=2)), "3 d 2 h")
        self.assertEqual(_seconds(-timedelta(seconds=30)), "-30 s")
