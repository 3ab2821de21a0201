# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Delays: a carrier's delay event, or a planned delivery passed, tells the customer
once (with the new date when known) and gives customer service an activity."""

from odoo.tests import TransactionCase, tagged

from .common import NotifyCommon, event


@tagged("post_install", "-at_install")
class TestDelay(NotifyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.activity_type = cls.env.ref("logistics_sync_base.mail_activity_logistics_exception")

    def _activities(self, picking):
        return picking.activity_ids.filtered(lambda a: a.activity_type_id == self.activity_type)

    def test_a_carrier_delay_event_notifies_once_with_the_new_date(self):
        picking = self._make_order()
        self._feed(
            picking,
            event("y-1", picking.name, "in_transit", 0),
            event("y-2", picking.name, "delayed", 5, reason="Snow", eta="2031-02-03T12:00:00Z"),
        )
        self._run_notify_jobs()
        mails = self._mails(picking)
        self.assertEqual(len(mails), 1)
        self.assertIn("delayed", mails.subject)
        self.assertIn("02/03/2031", mails.body_html)
        self.assertEqual(self._notes(picking, "sent").kind, "delayed")
        self.assertEqual(len(self._activities(picking)), 1)  # base's exception activity
        self._feed(picking, event("y-3", picking.name, "delayed", 10, reason="Snow again"))
        self._run_notify_jobs()
        self.assertEqual(len(self._mails(picking)), 1)
        self.assertEqual(self._notes(picking)[-1].reason_code, "already_sent")

    def test_a_planned_delivery_passed_notifies_once(self):
        late, delivered, on_time = self._make_order(), self._make_order(), self._make_order()
        self._validate(delivered)
        self._feed(
            late,
            event("p-1", late.name, "in_transit", 0, eta="2026-11-27T10:00:00Z"),
            event("p-2", delivered.name, "in_transit", 0, eta="2026-11-27T10:00:00Z"),
            event("p-3", delivered.name, "delivered", 60),
            event("p-4", on_time.name, "in_transit", 0, eta="2999-01-01T10:00:00Z"),
        )
        self._run_notify_jobs()
        Picking = self.env["stock.picking"]
        Picking._cron_logistics_notify_late()
        self.assertTrue(late.logistics_late_notified)
        self.assertFalse(delivered.logistics_late_notified)
        self.assertFalse(on_time.logistics_late_notified)
        self.assertEqual(len(self._activities(late)), 1)
        self.assertFalse(self._activities(delivered) | self._activities(on_time))
        self._run_notify_jobs()
        self.assertEqual(self._notes(late, "sent").mapped("kind"), ["shipped", "delayed"])
        self.assertIn("delayed", self._mails(late)[-1].subject)
        # a promised date on the order counts too; a transfer's own deadline does not
        promised, unpromised = self._make_order(), self._make_order()
        promised.sale_id.commitment_date = "2026-11-20 12:00:00"
        self._feed(
            promised,
            event("p-5", promised.name, "in_transit", 0),
            event("p-6", unpromised.name, "in_transit", 0),
        )
        self.assertTrue(unpromised.date_deadline)
        Picking._cron_logistics_notify_late()
        self.assertTrue(promised.logistics_late_notified)
        self.assertFalse(unpromised.logistics_late_notified)
        self._run_notify_jobs()
        # once only
        Picking._cron_logistics_notify_late()
        self.assertFalse(self._notify_jobs())
        self.assertEqual(len(self._activities(late)), 1)
        self.assertEqual(len(self._mails(late)), 2)
        # shipped and delayed were due together: one message, the delay
        self.assertEqual(len(self._mails(promised)), 1)
        self.assertIn("delayed", self._mails(promised).subject)
