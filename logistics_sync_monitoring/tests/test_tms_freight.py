# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS and freight figures (soft: the test database installs both addons)."""

import json
from datetime import datetime, timedelta

from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import T0, MonitoringCommon
from odoo.addons.logistics_sync_freight.tests.common import FreightCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestTmsFreightFigures(MonitoringCommon, FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.Kpi = cls.env["logistics.sync.kpi"]
        cls.company.partner_id.tz = "UTC"
        cls.clerk = new_test_user(
            cls.env,
            login="ls_mon_tms_clerk",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )
        cls.Release = cls.env["logistics.tms.release"].sudo()

    def _release(self, picking, state, sent_at=T0):
        release = picking.tms_release_id or self.Release.create(
            {"name": picking.name, "picking_id": picking.id, "endpoint_id": self.endpoint.id}
        )
        release.write({"state": state, "sent_at": sent_at, "endpoint_id": self.endpoint.id})
        picking.sudo().tms_release_id = release
        return release

    def _search(self, field, pickings):
        return (
            self.env["stock.picking"]
            .with_user(self.clerk)
            .search([(field, "=", True), ("id", "in", pickings.ids)])
        )

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

    def _tms_answer(self, picking, status, at):
        payload = json.dumps({"status": status, "version": 1, "tms_ref": "TMS-1"})
        return (
            self.env["logistics.event"]
            .sudo()
            .create(
                {
                    "endpoint_id": self.endpoint.id,
                    "external_id": f"{picking.name}-{status}",
                    "shipment_ref": picking.name,
                    "event_type": "tms_update",
                    "occurred_at": at,
                    "received_at": at,
                    "payload": payload,
                    "payload_hash": str(hash(payload)),
                    "state": "applied",
                    "picking_id": picking.id,
                    "applied_at": at,
                }
            )
        )

    def test_resolution_time_of_rejected_tenders_and_freight_disputes(self):
        hour = datetime(2026, 11, 26, 9, 0)
        tendered = self._make_picking()
        self._release(tendered, "accepted")
        self._tms_answer(tendered, "rejected", T0)
        self._tms_answer(tendered, "carrier_assigned", T0 + timedelta(minutes=30))
        self._tms_answer(tendered, "accepted", T0 + timedelta(hours=2))  # 11:30, after 2 h
        self._tms_answer(tendered, "planned", T0 + timedelta(hours=2, minutes=10))  # not again
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
            self.assertEqual(
                rows,
                {hour + timedelta(hours=1): (1, 1.0), hour + timedelta(hours=2): (1, 2.0)},
            )
        viewer = new_test_user(
            self.env,
            login="ls_mon_viewer_res",
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
        self.assertEqual(total[0], 2)
        self.assertAlmostEqual(total[1], 1.5, places=3)

    def test_trace_has_the_tms_and_freight_hops(self):
        picking = self._done_picking({self.type_base: 50.0})
        self._release(picking, "planned", T0)
        self._tms_answer(picking, "accepted", T0 + timedelta(minutes=20))
        self._tms_answer(picking, "planned", T0 + timedelta(hours=1, minutes=20))
        batch = self._import(csv_bytes(f"CI-T,2026-11-30,USD,{picking.name},,base,50,1,"))
        self.assertEqual(batch.invoice_ids.charge_ids.state, "approved")
        bill = self.Charge._cron_settle()
        self.assertTrue(bill)
        move = batch.invoice_ids.charge_ids.move_id
        self.assertTrue(move)
        labels = [label for _when, label in picking._mon_hops()]
        for label in (
            f"Released to the TMS ({self.endpoint.name})",
            "Accepted by the TMS",
            "Planned by the TMS",
            f"Freight charge billed ({move.name})",
        ):
            self.assertIn(label, labels)
        self.assertNotIn("tms_update", " ".join(labels))
        trace = picking.with_user(self.clerk).mon_trace
        self.assertIn("Planned by the TMS", trace)
        self.assertIn("1 h 00 min", trace)  # accepted 09:50, planned 10:50
        released = labels.index(f"Released to the TMS ({self.endpoint.name})")
        self.assertEqual(
            labels[released + 1 : released + 3], ["Accepted by the TMS", "Planned by the TMS"]
        )
