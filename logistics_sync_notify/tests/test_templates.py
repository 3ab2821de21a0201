# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Templates in the customer's language; bad input skipped with its reason, the
pipeline going on."""

from odoo.tests import TransactionCase, tagged

from .common import NotifyCommon, event


@tagged("post_install", "-at_install")
class TestTemplates(NotifyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()

    def test_rendered_in_english_and_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["logistics_sync_notify"], ["fr_FR"], overwrite=True
        )
        english = self._make_order()
        french_customer = self.customer.copy(
            {"name": "Client SARL", "email": "client@example.fr", "lang": "fr_FR"}
        )
        french = self._make_order(french_customer)
        for picking in english | french:
            self._feed(
                picking,
                event(
                    f"l-{picking.id}",
                    picking.name,
                    "in_transit",
                    0,
                    tracking_ref=f"TRK{picking.id}",
                    eta="2026-11-28T10:00:00Z",
                ),
            )
        self._run_notify_jobs()
        mail_en, mail_fr = self._mails(english), self._mails(french)
        self.assertEqual(len(mail_en), 1)
        self.assertEqual(len(mail_fr), 1)
        self.assertIn("Your order has shipped", mail_en.subject)
        self.assertIn("has shipped", mail_en.body_html)
        self.assertIn("Votre commande a été expédiée", mail_fr.subject)
        self.assertIn("a été expédiée", mail_fr.body_html)
        self.assertIn("Suivre votre envoi", mail_fr.body_html)
        self.assertNotIn("has shipped", mail_fr.body_html)
        self.assertIn(f"TRK{french.id}", mail_fr.body_html)
        # the opt-out link is in every email
        self.assertIn(
            f"/logistics_sync/notify/optout/{french_customer.id}/email", mail_fr.body_html
        )
        self.assertIn(f"/logistics_sync/notify/optout/{self.customer.id}/email", mail_en.body_html)

    def _one(self, partner_vals=None, partner=True):
        picking = self._make_order()
        if partner_vals is not None:
            picking.partner_id = self.customer.copy(partner_vals)
        if not partner:
            picking.partner_id = False
        applied = self._feed(picking, event(f"x-{picking.id}", picking.name, "in_transit", 0))
        self.assertEqual(applied.state, "applied")
        self._run_notify_jobs()
        self.assertFalse(self._mails(picking))
        return self._notes(picking)

    def test_bad_input_is_skipped_with_its_reason(self):
        for vals, code in (
            ({"email": False}, "no_email"),
            ({"email": "not an email"}, "invalid_email"),
            ({"email": "someone@example.com", "logistics_notify_email_optout": True}, "opted_out"),
        ):
            with self.subTest(code=code):
                notes = self._one(vals)
                self.assertEqual(notes.mapped("state"), ["skipped"])
                self.assertEqual(notes.reason_code, code)
                self.assertTrue(notes.reason)
        notes = self._one(partner=False)
        self.assertEqual(notes.reason_code, "no_partner")

    def test_a_template_that_fails_to_render_stops_nothing(self):
        template = self.env.ref("logistics_sync_notify.mail_template_shipped")
        template.body_html = '<p><t t-out="object.no_such_field.name"/></p>'
        broken, fine = self._make_order(), self._make_order()
        self._feed(
            broken,
            event("r-1", broken.name, "in_transit", 0),
            event("r-2", fine.name, "out_for_delivery", 0),
        )
        self.assertEqual(broken.logistics_milestone, "in_transit")
        self._run_notify_jobs()
        note = self._notes(broken)
        self.assertEqual(note.state, "skipped")
        self.assertEqual(note.reason_code, "render_failed")
        self.assertFalse(self._mails(broken))
        # the other transfer's notification went out, and the pipeline goes on
        self.assertEqual(len(self._mails(fine)), 1)
        self._feed(broken, event("r-3", broken.name, "out_for_delivery", 5))
        self._run_notify_jobs()
        self.assertEqual(len(self._mails(broken)), 1)
