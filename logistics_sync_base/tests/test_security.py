# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.logistics_endpoint import SECRET_FIELDS
from .common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestSecurity(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()
        cls.user = new_test_user(
            cls.env,
            "ls_user",
            groups="base.group_user,logistics_sync_base.group_logistics_sync_user",
        )
        cls.manager = new_test_user(
            cls.env,
            "ls_manager",
            groups="base.group_user,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.admin = new_test_user(
            cls.env,
            "ls_admin",
            groups="base.group_system,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.env["logistics.event"]._ingest(
            cls.endpoint, [event("sec-1", cls.picking.name, "booked")]
        )
        cls.stored = cls.env["logistics.event"].search([("external_id", "=", "sec-1")])
        cls.stored.write({"state": "dead"})

    def test_user_reads_status_but_cannot_configure_or_replay(self):
        endpoint = self.endpoint.with_user(self.user)
        self.assertEqual(endpoint.name, "Test carrier")
        self.assertEqual(self.stored.with_user(self.user).milestone, "booked")
        with self.assertRaises(AccessError):
            endpoint.write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            self.env["logistics.endpoint"].with_user(self.user).create({"name": "x", "code": "x"})
        with self.assertRaises(AccessError):
            self.stored.with_user(self.user).action_replay()
        self.assertEqual(self.stored.state, "dead")

    def test_manager_configures_and_replays_but_never_reads_secrets(self):
        endpoint = self.endpoint.with_user(self.manager)
        endpoint.write({"name": "Renamed"})
        self.assertEqual(self.endpoint.name, "Renamed")
        for secret_field in SECRET_FIELDS:
            with self.assertRaises(AccessError, msg=secret_field):
                endpoint.read([secret_field])
        with self.assertRaises(AccessError):
            self.stored.with_user(self.manager).read(["error_traceback"])
        self.stored.with_user(self.manager).action_replay()
        self.assertEqual(self.stored.state, "received")

    def test_only_system_admins_redirect_where_credentials_go(self):
        """A manager who could change the base URL could have the secrets sent to
        a host of their own: only system administrators change outbound fields."""
        endpoint = self.endpoint.with_user(self.manager)
        for values in (
            {"base_url": "https://93.184.216.34/collect"},
            {"oauth_token_url": "https://93.184.216.34/token"},
            {"auth_type": "bearer"},
            {"api_key_header": "X-Leak"},
        ):
            with self.assertRaises(AccessError, msg=str(values)) as caught:
                endpoint.write(values)
            self.assertIn("Only system administrators", str(caught.exception))
        self.endpoint.invalidate_recordset()
        self.assertFalse(self.endpoint.base_url)
        self.assertEqual(self.endpoint.auth_type, "none")
        self.endpoint.with_user(self.admin).write({"api_key_header": "X-Api-Key-2"})
        self.assertEqual(self.endpoint.api_key_header, "X-Api-Key-2")

    def test_system_admin_reads_and_rotates_secret(self):
        endpoint = self.endpoint.with_user(self.admin)
        old = endpoint.signing_secret
        self.assertTrue(old.startswith("whsec_"))
        wizard = (
            self.env["logistics.endpoint.secret"]
            .with_user(self.admin)
            .create({"endpoint_id": self.endpoint.id, "keep_previous": True})
        )
        wizard.action_generate()
        self.assertNotEqual(endpoint.signing_secret, old)
        self.assertEqual(endpoint.previous_signing_secret, old)
        self.assertEqual(wizard.new_secret, endpoint.signing_secret)
        # the chatter says it happened, never what the secret is
        self.assertNotIn(endpoint.signing_secret, " ".join(endpoint.message_ids.mapped("body")))

    def test_every_secret_field_is_for_system_admins_and_not_copied(self):
        fields_ = self.env["logistics.endpoint"]._fields
        for name in SECRET_FIELDS:
            self.assertEqual(fields_[name].groups, "base.group_system", name)
            self.assertFalse(fields_[name].copy, name)

    def test_secret_not_copied_and_generated_per_endpoint(self):
        copy = self.endpoint.copy({"code": "copied"})
        self.assertTrue(copy.sudo().signing_secret)
        self.assertNotEqual(copy.sudo().signing_secret, self.endpoint.sudo().signing_secret)

    def test_multi_company_rule_hides_other_company_events(self):
        company_b = self.env["res.company"].create({"name": "Company B2"})
        endpoint_b = self.env["logistics.endpoint"].create(
            {"name": "B", "code": "b2", "company_id": company_b.id}
        )
        self.env["logistics.event"]._ingest(endpoint_b, [event("b-1", "X", "booked")])
        self.user.write({"company_ids": [Command.set(self.company.ids)]})
        visible = self.env["logistics.event"].with_user(self.user).search([])
        self.assertIn(self.stored, visible)
        self.assertFalse(visible.filtered(lambda e: e.company_id == company_b))
        self.assertFalse(
            self.env["logistics.endpoint"].with_user(self.user).search([("code", "=", "b2")])
        )

    def test_code_and_tolerance_are_validated(self):
        with self.assertRaisesRegex(Exception, "lowercase"):
            self.env["logistics.endpoint"].create({"name": "bad", "code": "Bad Code!"})
        with self.assertRaises(Exception), self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
            self.env["logistics.endpoint"].create(
                {"name": "t", "code": "t", "timestamp_tolerance": 3600}
            )
