# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The opt-out link: signed, no login, a page then a button; a wrong token changes nothing."""

import re

from odoo.tests import HttpCase, tagged

from .common import NotifyCommon, event

URL = "/logistics_sync/notify/optout/%s/email"


@tagged("post_install", "-at_install")
class TestOptout(NotifyCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.other = cls.customer.copy({"name": "Other customer", "email": "other@example.com"})

    def _page(self, partner_id, token):
        return self.url_open(f"{URL % partner_id}?token={token}")

    def test_a_signed_link_opts_the_customer_out(self):
        token = self.customer._logistics_optout_token("email")
        page = self._page(self.customer.id, token)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Stop shipment emails", page.text)
        self.assertFalse(self.customer.logistics_notify_email_optout)  # a GET changes nothing
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = self.url_open(URL % self.customer.id, data={"csrf_token": csrf, "token": token})
        self.assertEqual(done.status_code, 200)
        self.assertIn("will receive no more shipment emails", done.text)
        self.assertTrue(self.customer.logistics_notify_email_optout)
        self.assertFalse(self.other.logistics_notify_email_optout)
        # and the next milestone tells nobody, with the reason on the transfer
        picking = self._make_order()
        self._feed(picking, event("oo-1", picking.name, "in_transit", 0))
        self._run_notify_jobs()
        self.assertFalse(self._mails(picking))
        self.assertEqual(self._notes(picking).reason_code, "opted_out")

    def test_a_wrong_token_shows_nothing_and_changes_nothing(self):
        good = self.customer._logistics_optout_token("email")
        for partner_id, token in (
            (self.customer.id, "0" * 64),
            (self.customer.id, ""),
            (self.other.id, good),  # another partner's link
            (self.customer.id, good[:-1]),
        ):
            with self.subTest(partner=partner_id, token=token):
                self.assertEqual(self._page(partner_id, token).status_code, 404)
        self.assertEqual(
            self.url_open(
                f"{URL % self.customer.id}".replace("email", "fax") + f"?token={good}"
            ).status_code,
            404,
        )
        self.assertFalse(self.customer.logistics_notify_email_optout)
        self.assertFalse(self.other.logistics_notify_email_optout)
