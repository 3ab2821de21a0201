# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""B2B contacts who prefer a digest get one email a day about all their shipments."""

from odoo.tests import TransactionCase, freeze_time, tagged

from .common import NotifyCommon, event


@tagged("post_install", "-at_install")
class TestDigest(NotifyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.customer.logistics_notify_digest = True

    def _digests(self):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )

    def test_one_digest_a_day(self):
        first, second = self._make_order(), self._make_order()
        with freeze_time("2026-11-26 09:00:00"):
            self._feed(
                first,
                event("g-1", first.name, "in_transit", 0),
                event("g-2", second.name, "out_for_delivery", 0),
            )
            self._run_notify_jobs()
            self.assertFalse(self._mails(first) | self._mails(second))
            self.assertEqual(
                (self._notes(first) | self._notes(second)).mapped("state"), ["digest", "digest"]
            )
            Partner = self.env["res.partner"]
            self.assertEqual(Partner._cron_logistics_notify_digest(), 1)
            digest = self._digests()
            self.assertEqual(len(digest), 1)
            self.assertIn(first.sale_id.name, digest.body_html)
            self.assertIn(second.sale_id.name, digest.body_html)
            self.assertEqual(
                (self._notes(first) | self._notes(second)).mapped("state"), ["sent"] * 2
            )
            # more news the same day waits for tomorrow's digest
            self._feed(first, event("g-3", first.name, "out_for_delivery", 30))
            self._run_notify_jobs()
            self.assertEqual(Partner._cron_logistics_notify_digest(), 0)
            self.assertEqual(len(self._digests()), 1)
        with freeze_time("2026-11-27 07:00:00"):
            self.assertEqual(self.env["res.partner"]._cron_logistics_notify_digest(), 1)
            self.assertEqual(len(self._digests()), 2)
            self.assertEqual(self.env["res.partner"]._cron_logistics_notify_digest(), 0)
        self.assertEqual(self._notes(first).mapped("state"), ["sent", "sent"])
