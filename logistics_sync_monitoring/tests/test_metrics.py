# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import HttpCase, new_test_user, tagged

from .common import MonitoringCommon

URL = "/logistics_sync/metrics"


@tagged("post_install", "-at_install")
class TestMetrics(MonitoringCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()
        cls.Token = cls.env["logistics.metrics.token"]
        cls.token, cls.plain = cls.Token._generate("Prometheus")

    def _get(self, token=None, scheme="Bearer"):
        headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
        return self.url_open(URL, headers=headers)

    def _assert_refused(self, response):
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.text, "unauthorized\n")
        self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
        self.assertNotIn("logistics_sync_", response.text)
        self.assertNotIn(self.endpoint.code, response.text)

    def test_refused_without_a_valid_token(self):
        self._assert_refused(self._get())
        self._assert_refused(self._get("lsm_not-a-token"))
        self._assert_refused(self._get(self.plain, scheme="Basic"))
        self._assert_refused(self._get(self.token.token_hash))  # the hash is no token
        self.token.action_revoke()
        self._assert_refused(self._get(self.plain))

    def test_scrape_labels_endpoints_states_and_channels(self):
        self._feed(dead=1)
        self.env["logistics.sync.kpi"]._cron_compute()
        self.env.flush_all()
        response = self._get(self.plain)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        text = response.text
        self.assertIn(
            'logistics_sync_events_unfinished{endpoint="test-carrier",state="dead"} 1.0', text
        )
        self.assertIn(
            'logistics_sync_circuit_state{endpoint="test-carrier",state="closed"} 1.0', text
        )
        self.assertIn("# TYPE logistics_sync_jobs gauge", text)
        self.assertIn('logistics_sync_incomplete_shipments{check="silent"} 0.0', text)
        self.assertIn("# TYPE logistics_sync_events_received_total counter", text)
        # the KPI history was computed "now", the events were received on 2026-11-26:
        # the counters only cover the hours the history holds
        self.assertIn(
            'logistics_sync_latency_seconds{endpoint="test-carrier",quantile="0.95",span="sync"}',
            text,
        )

    def test_tokens_are_stored_hashed_and_for_admins_only(self):
        self.assertNotEqual(self.token.token_hash, self.plain)
        self.assertFalse(self.Token.search([("token_hash", "=", self.plain)]))
        self.assertEqual(self.token.hint, self.plain[:8])
        manager = new_test_user(
            self.env,
            login="ls_metrics_mgr",
            groups="logistics_sync_base.group_logistics_sync_manager",
        )
        with self.assertRaises(AccessError):
            self.Token.with_user(manager).search([])
        with self.assertRaises(AccessError):
            self.Token.with_user(manager)._generate("mine")
        self.assertEqual(self.Token.search_count([]), 1)

    def test_wizard_shows_the_token_once(self):
        wizard = self.env["logistics.metrics.token.new"].create({"name": "Grafana agent"})
        wizard.action_create()
        token = self.Token.search([("name", "=", "Grafana agent")])
        self.assertTrue(wizard.token.startswith("lsm_"))
        self.assertTrue(token._check_bearer(wizard.token))

    def test_a_neutralized_copy_refuses_the_production_tokens(self):
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.assertFalse(self.token.active)
        self._assert_refused(self._get(self.plain))
