# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who is responsible for an endpoint, and the buttons the form shows only to some:
refused on the server too (over RPC) to the others."""

import xmlrpc.client
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from ..adapters.errors import TransientOutboundError
from .common import LogisticsCommon, event
from odoo.addons.queue_job.exception import RetryableJobError

CIRCUIT_LOG = "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit"


def _messages(record):
    return record.env["mail.message"].search(
        [("model", "=", record._name), ("res_id", "=", record.id)], order="id desc"
    )


@tagged("post_install", "-at_install")
class TestEndpointDuties(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.admin = new_test_user(
            cls.env,
            login="ls_duty_admin",
            groups="base.group_system,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.manager = new_test_user(
            cls.env,
            login="ls_duty_manager",
            groups="logistics_sync_base.group_logistics_sync_manager",
        )
        cls.user = new_test_user(
            cls.env, login="ls_duty_user", groups="logistics_sync_base.group_logistics_sync_user"
        )

    # ------------------------------------------------------------ responsible
    def test_responsible_user_else_group_else_admin(self):
        group = self.env["res.groups"].create({"name": "Dispatch desk"})
        away = new_test_user(self.env, login="ls_away", name="Aaron Away", groups="base.group_user")
        desk = new_test_user(self.env, login="ls_desk", name="Zoe Desk", groups="base.group_user")
        group.users = away | desk
        away.active = False
        endpoint = self.endpoint
        self.assertEqual(endpoint._responsible_users(), self.responsible)
        endpoint.write({"responsible_user_id": False, "responsible_group_id": group.id})
        self.assertEqual(endpoint._responsible_users(), desk)
        desk.active = False
        self.assertEqual(endpoint._responsible_users(), self.env.ref("base.user_admin"))
        # asked by a user who may not read groups: the same answer
        desk.active = True
        self.assertEqual(endpoint.with_user(self.user)._responsible_users(), desk)

    def test_waiting_alert_goes_to_the_responsible_group(self):
        group = self.env["res.groups"].create({"name": "Dispatch desk"})
        desk = new_test_user(self.env, login="ls_desk2", groups="base.group_user")
        group.users = desk
        self.endpoint.write({"responsible_user_id": False, "responsible_group_id": group.id})
        picking = self._make_picking()
        delivered = self._ingest(event("grp-1", picking.name, "delivered", 10))
        self._process_pending()
        self.assertEqual(delivered.wait_reason, "needs_dispatch")
        later = fields.Datetime.now() + timedelta(minutes=self.endpoint.waiting_alert_minutes + 1)
        with freeze_time(later):
            self.env["logistics.event"]._cron_check_waiting()
        activity_type = self.env.ref("logistics_sync_base.mail_activity_logistics_exception")
        activities = picking.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        self.assertEqual(activities.user_id, desk)
        self.assertTrue(delivered.wait_alerted)
        self.assertFalse(self.endpoint.cron_errors)

    # ------------------------------------------------------------ buttons
    def test_only_system_admins_revoke_the_previous_secret(self):
        wizard = (
            self.env["logistics.endpoint.secret"]
            .with_user(self.admin)
            .create({"endpoint_id": self.endpoint.id, "keep_previous": True})
        )
        wizard.action_generate()
        self.assertEqual(self.endpoint.sudo().previous_signing_secret, self.secret)
        messages = len(_messages(self.endpoint))
        for user in (self.manager, self.user):
            with self.assertRaisesRegex(AccessError, "Only system administrators"):
                self.endpoint.with_user(user).action_clear_previous_secret()
            self.endpoint.invalidate_recordset()
            self.assertEqual(self.endpoint.sudo().previous_signing_secret, self.secret)
            self.assertEqual(len(_messages(self.endpoint)), messages)
        self.endpoint.with_user(self.admin).action_clear_previous_secret()
        self.assertFalse(self.endpoint.sudo().previous_signing_secret)
        self.assertIn("Previous signing secret removed", _messages(self.endpoint)[0].body)

    def _open_circuit(self):
        self.endpoint.write({"circuit_threshold": 2, "circuit_cooldown": 60})
        self.endpoint.flush_recordset()  # the circuit counts in a transaction of its own
        for _attempt in range(2):
            try:
                self.endpoint._outbound_failed(TransientOutboundError("HTTP 502", 502), 1)
            except RetryableJobError:
                pass
            else:
                self.fail("a transient failure is retried")
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.circuit_state, "open")

    @mute_logger(CIRCUIT_LOG)
    def test_only_managers_close_the_circuit(self):
        self._open_circuit()
        stock_user = new_test_user(self.env, login="ls_duty_stock", groups="stock.group_stock_user")
        for user in (self.user, stock_user):
            with self.assertRaisesRegex(AccessError, "Only Logistics Sync managers"):
                self.endpoint.with_user(user).action_reset_circuit()
            self.endpoint.invalidate_recordset()
            self.assertEqual(self.endpoint.circuit_state, "open")
            self.assertEqual(self.endpoint.circuit_failures, 2)
        self.endpoint.with_user(self.manager).action_reset_circuit()
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertEqual(self.endpoint.circuit_failures, 0)


@tagged("post_install", "-at_install")
class TestEndpointButtonsOverRpc(LogisticsCommon, HttpCase):
    """The same refusals through Odoo's XML-RPC, as a script of the user would call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        for login, groups in (
            ("ls_rpc_admin", "base.group_system,logistics_sync_base.group_logistics_sync_manager"),
            ("ls_rpc_duty_manager", "logistics_sync_base.group_logistics_sync_manager"),
            ("ls_rpc_duty_user", "logistics_sync_base.group_logistics_sync_user"),
        ):
            new_test_user(cls.env, login=login, groups=groups)
        cls.endpoint.sudo().previous_signing_secret = "whsec_cHJldmlvdXMtc2VjcmV0LTEyMzQ1Njc4"
        cls.endpoint.write({"circuit_threshold": 2, "circuit_cooldown": 60})
        cls.env.flush_all()  # the circuit and the requests read it from the database

    def _rpc(self, login, method):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, login, {})
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, login, "logistics.endpoint", method, [[self.endpoint.id]]
        )

    def _refused(self, login, method):
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._rpc(login, method)
        # xmlrpc/2 sends an AccessError as fault code 4 (RPC_FAULT_CODE_ACCESS_ERROR)
        self.assertEqual(caught.exception.faultCode, 4)
        self.assertIn("Only", caught.exception.faultString)

    def test_revoking_the_previous_secret_over_rpc(self):
        for login in ("ls_rpc_duty_manager", "ls_rpc_duty_user"):
            self._refused(login, "action_clear_previous_secret")
            self.endpoint.invalidate_recordset()
            self.assertTrue(self.endpoint.sudo().previous_signing_secret)
        self._rpc("ls_rpc_admin", "action_clear_previous_secret")
        self.endpoint.invalidate_recordset()
        self.assertFalse(self.endpoint.sudo().previous_signing_secret)

    @mute_logger(CIRCUIT_LOG)
    def test_closing_the_circuit_over_rpc(self):
        for _attempt in range(2):
            try:
                self.endpoint._outbound_failed(TransientOutboundError("HTTP 502", 502), 1)
            except RetryableJobError:
                pass
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.circuit_state, "open")
        self._refused("ls_rpc_duty_user", "action_reset_circuit")
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.circuit_state, "open")
        self._rpc("ls_rpc_duty_manager", "action_reset_circuit")
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.circuit_state, "closed")
