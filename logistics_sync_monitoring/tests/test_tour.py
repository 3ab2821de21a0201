# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestOverviewTour(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.manager = new_test_user(
            cls.env,
            login="ls_tour_manager",
            groups="base.group_user,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.endpoint.name = "Tour carrier"

    def test_overview_dead_letters_replay(self):
        picking = self._make_picking()
        events = self._ingest(
            event("tour-ok", picking.name, "booked", 1),
            event("tour-dead", "UNKNOWN-REF", "booked", 2),
        )
        self._process_pending()
        dead = events.filtered(lambda e: e.external_id == "tour-dead")
        dead._set_processing({"state": "dead"})
        self.start_tour(
            "/odoo/action-logistics_sync_monitoring.logistics_endpoint_overview_action",
            "logistics_sync_monitoring_overview",
            login=self.manager.login,
        )
        self.assertEqual(
            (dead.state, dead.replay_count, dead.replayed_by_id), ("received", 1, self.manager)
        )
        self.assertEqual(events.filtered(lambda e: e.external_id == "tour-ok").state, "applied")

    def test_dashboard_renders(self):
        self.env["logistics.sync.kpi"]._cron_compute()
        self.start_tour(
            "/odoo/dashboards", "logistics_sync_monitoring_dashboard", login=self.manager.login
        )
