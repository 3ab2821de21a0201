# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What an alert rule watches when its endpoints are archived, and who reads a
transfer's trace (the field carries the group of its page)."""

from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import T0, MonitoringCommon
from odoo.addons.logistics_sync_base.tests.common import event
from odoo.addons.logistics_sync_base.tests.common_access import open_form, plain_user


@tagged("post_install", "-at_install")
class TestArchivedEndpoints(MonitoringCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()
        cls.manager = new_test_user(
            cls.env,
            login="ls_watch_manager",
            groups="logistics_sync_base.group_logistics_sync_manager",
        )
        cls.other = cls.env["logistics.endpoint"].create({"name": "Other", "code": "other"})
        cls.Alert = cls.env["logistics.sync.alert"]
        cls.Rule = cls.env["logistics.sync.alert.rule"].with_user(cls.manager)
        cls.rule = cls.Rule.create(
            {
                "name": "Dead letters",
                "figure": "dead_letters",
                "threshold": 0,
                "endpoint_ids": [(6, 0, cls.endpoint.ids)],
                "user_id": cls.responsible.id,
            }
        )

    def _evaluate(self, at):
        with freeze_time(at):
            self.env["logistics.sync.alert.rule"]._cron_evaluate()

    def test_a_rule_whose_endpoints_are_archived_watches_nothing(self):
        self._feed(dead=1)
        self._feed(prefix="o", dead=1, endpoint=self.other)  # breached too, not on the rule
        self._evaluate(T0 + timedelta(minutes=5))
        alert = self.Alert.search([("rule_id", "=", self.rule.id)])
        self.assertEqual((alert.endpoint_id, alert.state), (self.endpoint, "open"))
        self.assertFalse(self.rule.watches_nothing)
        self.endpoint.with_user(self.manager).active = False
        rule = self.rule.with_user(self.manager)
        rule.invalidate_recordset()
        self.assertTrue(rule.watches_nothing)
        _arch, [values] = open_form(rule)
        self.assertTrue(values["watches_nothing"])
        self.assertEqual(
            values["endpoint_ids"], [{"id": self.endpoint.id, "display_name": "Test carrier"}]
        )
        self._evaluate(T0 + timedelta(minutes=10))
        # its own alert closes, and nothing else is watched in its place
        self.assertEqual(alert.state, "closed")
        self.assertFalse(alert.activity_ids)
        self.assertEqual(self.Alert.search([("rule_id", "=", self.rule.id)]), alert)
        self.assertEqual(rule.open_alert_count, 0)
        # unarchived: watched again
        self.endpoint.with_user(self.manager).active = True
        self._evaluate(T0 + timedelta(minutes=15))
        alerts = self.Alert.search([("rule_id", "=", self.rule.id), ("state", "=", "open")])
        self.assertEqual(alerts.endpoint_id, self.endpoint)

    def test_a_rule_naming_no_endpoint_watches_the_active_ones(self):
        rule = self.rule.copy({"name": "All", "endpoint_ids": False})
        self.assertFalse(rule.watches_nothing)
        self._feed(dead=1)
        self._feed(prefix="o", dead=1, endpoint=self.other)
        self._evaluate(T0 + timedelta(minutes=5))
        alerts = self.Alert.search([("rule_id", "=", rule.id), ("state", "=", "open")])
        self.assertEqual(alerts.endpoint_id, self.endpoint | self.other)
        self.other.active = False
        self._evaluate(T0 + timedelta(minutes=10))
        alerts = self.Alert.search([("rule_id", "=", rule.id), ("state", "=", "open")])
        self.assertEqual(alerts.endpoint_id, self.endpoint)


@tagged("post_install", "-at_install")
class TestTraceRights(MonitoringCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring()
        cls.clerk = plain_user(cls, "ls_trace_clerk", "stock.group_stock_user")
        cls.reader = new_test_user(
            cls.env,
            login="ls_trace_reader",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )

    def test_the_trace_is_for_logistics_sync_users_as_its_page(self):
        picking = self._make_picking()
        with freeze_time(T0):
            self._validate(picking)
            self._ingest(event("tr-1", picking.name, "picked_up", 90))
            self._process_pending()
        field = self.env["stock.picking"]._fields["mon_trace"]
        self.assertEqual(field.groups, "logistics_sync_base.group_logistics_sync_user")
        self.assertIn(
            "Picked up, reported by Test carrier", picking.with_user(self.reader).mon_trace
        )
        # an Inventory / User in no Logistics Sync group: refused over RPC, and the
        # form opens without the trace
        with self.assertRaises(AccessError):
            picking.with_user(self.clerk).read(["mon_trace"])
        arch, [values] = open_form(picking.with_user(self.clerk))
        self.assertFalse(arch.xpath("//field[@name='mon_trace']"))
        self.assertNotIn("mon_trace", values)
        self.assertEqual(values["name"], picking.name)
