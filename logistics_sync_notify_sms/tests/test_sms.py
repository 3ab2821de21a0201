# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SMS per milestone, when opted in and the customer has a valid mobile number."""

from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.logistics_sync_notify.tests.common import NotifyCommon, event


@tagged("post_install", "-at_install")
class TestSms(NotifyCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.env.ref("logistics_sync_notify.kind_delivered").sms_enabled = True
        cls.customer.mobile = "+33 6 12 34 56 78"

    def _deliver(self, partner_vals=None):
        picking = self._make_order()
        if partner_vals:
            picking.partner_id = self.customer.copy(partner_vals)
        self._validate(picking)
        self._feed(picking, event(f"s-{picking.id}", picking.name, "delivered", 0))
        self._run_notify_jobs()
        return picking

    def _sms(self, picking):
        return picking.logistics_notification_ids.filtered(lambda n: n.channel == "sms")

    def test_a_milestone_that_opted_in_sends_an_sms_too(self):
        picking = self._deliver()
        note = self._sms(picking)
        self.assertEqual(note.state, "sent")
        self.assertEqual(note.recipient, "+33612345678")
        self.assertEqual(note.sms_id.number, "+33612345678")
        self.assertEqual(note.sms_id.state, "outgoing")  # in Odoo's SMS queue
        self.assertIn("has been delivered", note.sms_id.body)
        self.assertEqual(len(self._mails(picking)), 1)  # and the email
        # a milestone that did not opt in: email only
        other = self._make_order()
        self._feed(other, event("s-x", other.name, "in_transit", 0))
        self._run_notify_jobs()
        self.assertFalse(self._sms(other))
        self.assertEqual(len(self._mails(other)), 1)

    def test_bad_or_missing_numbers_are_skipped_with_the_reason(self):
        before = self.env["sms.sms"].search_count([])
        for vals, code in (
            ({"mobile": "12", "phone": False}, "invalid_mobile"),
            ({"mobile": False, "phone": False}, "no_mobile"),
            ({"logistics_notify_sms_optout": True}, "opted_out"),
        ):
            with self.subTest(code=code):
                picking = self._deliver(vals)
                note = self._sms(picking)
                self.assertEqual(note.state, "skipped")
                self.assertEqual(note.reason_code, code)
                self.assertEqual(len(self._mails(picking)), 1)  # the email went out
        self.assertEqual(self.env["sms.sms"].search_count([]), before)

    def test_a_delivery_validated_by_a_stock_user_texts_the_customer(self):
        """An Inventory / User in no Logistics Sync group validates the delivery the
        carrier reported delivered: the customer gets the SMS, and that user reads it
        on the transfer's notification log."""
        picking = self._make_order()
        self._feed(picking, event(f"u-{picking.id}", picking.name, "delivered", 5))
        self.assertFalse(self._sms(picking))  # waits for the dispatch
        stock_user = new_test_user(self.env, "ls_sms_stock", groups="stock.group_stock_user")
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        as_user = picking.with_user(stock_user)
        as_user.action_assign()
        as_user.move_ids.quantity = 1
        as_user.move_ids.picked = True
        as_user._action_done()
        self.env["logistics.event"].search([("external_id", "=", f"u-{picking.id}")])._job_process()
        self._run_notify_jobs()
        sms = as_user.logistics_notification_ids.filtered(lambda n: n.channel == "sms")
        self.assertEqual(sms.mapped("state"), ["sent"])
        self.assertEqual(sms.recipient, "+33612345678")
        self.assertEqual(self._sms(picking).sms_id.number, "+33612345678")
