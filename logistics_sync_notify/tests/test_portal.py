# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The customer's tracking page: with the order's token, as the portal user the order
belongs to, and never for another customer."""

import base64

from odoo.tests import HttpCase, new_test_user, tagged

from .common import NotifyCommon, event

POD = b"%PDF-1.4 portal proof"


@tagged("post_install", "-at_install")
class TestPortal(NotifyCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.portal_a = new_test_user(
            cls.env, login="ls_portal_a", groups="base.group_portal", email="a@example.com"
        )
        cls.portal_b = new_test_user(
            cls.env, login="ls_portal_b", groups="base.group_portal", email="b@example.com"
        )
        cls.picking = cls._make_order(cls.portal_a.partner_id)
        cls.order = cls.picking.sale_id
        cls.other = cls._make_order(cls.portal_b.partner_id)
        cls.token = cls.order._portal_ensure_token()
        cls.other_token = cls.other.sale_id._portal_ensure_token()

    def setUp(self):
        super().setUp()
        ref = self.picking.name
        self._feed(
            self.picking,
            event(
                "pt-1",
                ref,
                "in_transit",
                0,
                tracking_ref="TRKPORTAL",
                location={"city": "Lyon", "country": "FR"},
            ),
        )
        self._validate(self.picking)
        self._feed(
            self.picking,
            event("pt-2", ref, "delivered", 60),
            event(
                "pt-3",
                ref,
                "pod_received",
                61,
                pod={
                    "signed_by": "A. Customer",
                    "document_b64": base64.b64encode(POD).decode(),
                    "document_mimetype": "application/pdf",
                },
            ),
        )
        self.assertEqual(self.picking.logistics_milestone, "delivered")

    def _page(self, picking, token=None, pod=False):
        url = f"/my/shipment/{picking.id}{'/pod' if pod else ''}"
        return self.url_open(f"{url}?access_token={token}" if token else url)

    def test_the_link_in_emails_opens_the_shipment_with_the_order_token(self):
        self._run_notify_jobs()
        mail = self._mails(self.picking)
        self.assertIn(f"/my/shipment/{self.picking.id}?access_token={self.token}", mail.body_html)
        page = self._page(self.picking, self.token)
        self.assertEqual(page.status_code, 200)
        for text in ("In transit", "Lyon", "Delivered", "TRKPORTAL", "Proof of delivery"):
            self.assertIn(text, page.text)
        pod = self._page(self.picking, self.token, pod=True)
        self.assertEqual(pod.status_code, 200)
        self.assertEqual(pod.content, POD)
        self.assertIn("attachment", pod.headers["Content-Disposition"])

    def test_another_customer_sees_nothing(self):
        for token in (self.other_token, "", "x" * 36, self.token[:-1]):
            with self.subTest(token=token):
                self.assertEqual(self._page(self.picking, token).status_code, 404)
                self.assertEqual(self._page(self.picking, token, pod=True).status_code, 404)
        # logged in as another customer: neither page nor proof
        self.authenticate("ls_portal_b", "ls_portal_b")
        self.assertEqual(self._page(self.picking).status_code, 404)
        self.assertEqual(self._page(self.picking, pod=True).status_code, 404)
        self.assertEqual(self._page(self.other).status_code, 200)  # its own shipment
        page = self.url_open(f"/my/orders/{self.order.id}")
        self.assertNotIn("TRKPORTAL", page.text)

    def test_the_portal_user_follows_the_shipment_on_the_order(self):
        self.authenticate("ls_portal_a", "ls_portal_a")
        self.assertEqual(self._page(self.picking).status_code, 200)
        self.assertEqual(self._page(self.picking, pod=True).content, POD)
        page = self.url_open(f"/my/orders/{self.order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn('id="logistics_shipments"', page.text)
        self.assertIn("TRKPORTAL", page.text)
        self.assertIn("Lyon", page.text)

    def test_portal_tour(self):
        self.start_tour(
            f"/my/orders/{self.order.id}", "logistics_sync_notify_portal", login="ls_portal_a"
        )
