# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged

from ..lib.hours import hour_range


@tagged("post_install", "-at_install")
class TestDashboard(TransactionCase):
    def test_sample_data_on_an_empty_database_then_the_real_one(self):
        user = new_test_user(
            self.env,
            login="ls_dash_user",
            groups="base.group_user,logistics_sync_base.group_logistics_sync_user",
        )
        dashboard = self.env.ref(
            "logistics_sync_monitoring.spreadsheet_dashboard_sync_health"
        ).with_user(user)
        self.assertIn(dashboard, self.env["spreadsheet.dashboard"].with_user(user).search([]))
        self.env["logistics.sync.kpi"].search([]).unlink()
        sample = dashboard.get_readonly_dashboard()
        self.assertTrue(sample["is_sample"])
        self.assertIn("sample data", json.dumps(sample["snapshot"]))
        endpoint = self.env["logistics.endpoint"].create({"name": "Dash", "code": "dash"})
        first, stop = hour_range(fields.Datetime.now(), 1, "UTC")
        self.env["logistics.sync.kpi"]._compute_hours(
            endpoint.company_id, first, stop, endpoints=endpoint
        )
        real = dashboard.get_readonly_dashboard()
        self.assertFalse(real.get("is_sample"))
        self.assertEqual(real["snapshot"]["pivots"]["1"]["model"], "logistics.sync.kpi")
