# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Pasting a provider-issued secret: system administrators only, write-only, rotation."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, new_test_user, tagged

from .common import LogisticsCommon


@tagged("post_install", "-at_install")
class TestEndpointSecret(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.admin = new_test_user(
            cls.env,
            login="ls_secret_admin",
            groups="base.group_system,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.manager = new_test_user(
            cls.env, login="ls_manager", groups="logistics_sync_base.group_logistics_sync_manager"
        )

    def _paste(self, secret, keep_previous=True, user=None):
        env = self.env(user=user or self.admin)
        action = self.endpoint.with_env(env).action_paste_secret()
        with Form(env[action["res_model"]].with_context(**action["context"])) as form:
            form.pasted_secret = secret
            form.keep_previous = keep_previous
        form.record.action_generate()
        return form.record

    def test_paste_stores_write_only_and_keeps_the_previous_secret(self):
        self.endpoint.signature_scheme = "hmac"
        self.endpoint.signature_header = "X-Sig"
        wizard = self._paste("  provider-key-1  ")
        endpoint = self.endpoint.sudo()
        self.assertEqual(endpoint.signing_secret, "provider-key-1")
        self.assertEqual(endpoint.previous_signing_secret, self.secret)
        self.assertFalse(wizard.sudo().pasted_secret, "not kept on the wizard")
        self.assertFalse(wizard.sudo().new_secret, "a pasted secret is never shown back")
        self.assertTrue(wizard.done)
        message = self.endpoint.message_ids[:1]
        self.assertIn("pasted", message.body)
        self.assertNotIn("provider-key-1", message.body)
        self._paste("provider-key-2", keep_previous=False)
        self.assertEqual(
            (endpoint.signing_secret, endpoint.previous_signing_secret), ("provider-key-2", False)
        )

    def test_only_system_administrators_set_or_read_secrets(self):
        with self.assertRaises(AccessError):
            self._paste("stolen", user=self.manager)
        with self.assertRaises(AccessError):
            self.endpoint.with_user(self.manager).read(["signing_secret"])
        self.assertNotIn(
            "signing_secret", self.endpoint.with_user(self.manager).fields_get(), "not even listed"
        )
        self.assertEqual(self.endpoint.sudo().signing_secret, self.secret, "nothing changed")

    def test_a_secret_the_scheme_cannot_use_is_refused(self):
        # Standard Webhooks secrets are whsec_ + base64
        for bad in ("whsec_not base64 at all", "   "):
            with self.assertRaisesRegex(UserError, "cannot be used"):
                self._paste(bad)
        self.assertEqual(self.endpoint.sudo().signing_secret, self.secret, "nothing changed")
        self.assertFalse(self.endpoint.sudo().previous_signing_secret)
