# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Credits after billing never exceed what was billed, and land on a credit note
dated today (or the first open date); the audit follows the rules configured."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import Form, TransactionCase, freeze_time, tagged

from .common import FreightCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestFreightCredit(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.env["logistics.freight.tolerance"].create(
            [
                {"name": "Road: 5 % or 10", "amount": 10.0, "percent": 5.0},
                {"name": "Fuel: 2", "charge_type_id": cls.type_fuel.id, "amount": 2.0},
            ]
        )

    def _bill(self, picking, *lines, number="CI-C", day="2026-11-20"):
        rows = [f"{number},{day},USD,{picking.name},,{code},{amount},1," for code, amount in lines]
        batch = self._import(csv_bytes(*rows), name=f"{number}.csv")
        self.assertEqual(batch.state, "accepted", batch.errors)
        return batch.invoice_ids.charge_ids.sorted("id")

    def _credit(self, charge, amount, reason="Late delivery"):
        action = charge.with_user(self.biller).action_credit()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.biller).with_context(action["context"])
        )
        wizard.amount = amount
        wizard.reason = reason
        return wizard.save().action_confirm()

    def _credits(self, charge):
        return self.Charge.search([("parent_id", "=", charge.id)])

    def test_credits_never_exceed_what_was_billed(self):
        picking = self._done_picking({self.type_base: 50.0})
        (charge,) = self._bill(picking, ("base", "50"))
        with freeze_time("2026-11-25"):
            bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((charge.state, bill.amount_total), ("billed", 50.0))
        self._credit(charge, 30.0)
        # a second credit of 25 would refund 55 of 50: refused with the figures
        with self.assertRaises(UserError) as caught:
            self._credit(charge, 25.0)
        message = str(caught.exception)
        for figure in ("25.0", "50.0 billed", "30.0 credited already", "20.0 left"):
            self.assertIn(figure, message)
        self.assertEqual(self._credits(charge).mapped("amount"), [-30.0])
        self._credit(charge, 20.0)
        self.assertEqual(sorted(self._credits(charge).mapped("amount")), [-30.0, -20.0])
        with self.assertRaises(UserError):
            self._credit(charge, 0.01)
        self.assertEqual(len(self._credits(charge)), 2)
        # the credit note: dated today, in December, not back in the billed month
        with freeze_time("2026-12-10"):
            refund = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual(
            (refund.move_type, refund.amount_total, refund.invoice_date, refund.date),
            ("in_refund", 50.0, date(2026, 12, 10), date(2026, 12, 10)),
        )
        self.assertEqual(refund.ref, charge.invoice_id.name)
        self.assertEqual(set(self._credits(charge).mapped("state")), {"billed"})
        # billed credits still count: nothing left to credit
        with self.assertRaises(UserError):
            self._credit(charge, 1.0)

    def test_a_credit_note_of_a_locked_period_is_dated_the_first_open_date(self):
        picking = self._done_picking({self.type_base: 40.0})
        (charge,) = self._bill(picking, ("base", "40"))
        with freeze_time("2026-11-25"):
            self.Charge._cron_settle()
            self._credit(charge, 15.0)
        self.company.purchase_lock_date = date(2026, 11, 30)
        with freeze_time("2026-11-28"):  # today is in the locked period
            refund = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual(refund.move_type, "in_refund")
        self.assertGreater(refund.date, date(2026, 11, 30))
        self.assertIn("is locked", " ".join(refund.message_ids.mapped("body")))

    def test_a_type_without_expected_line_is_audited_against_its_rule(self):
        picking = self._done_picking({self.type_base: 100.0})  # no fuel line
        base, fuel, fuel_high, waiting = self._bill(
            picking, ("base", "100"), ("fuel", "2.00"), ("fuel", "2.50"), ("waiting", "5")
        )
        self.assertEqual((base.state, fuel.state), ("approved", "approved"))
        self.assertEqual(fuel.approved_amount, 2.0)
        self.assertIn("within the charge type's tolerance", fuel.audit_reason)
        self.assertEqual(fuel_high.state, "disputed")
        self.assertIn("over the charge type's tolerance (2.00)", fuel_high.audit_reason)
        # no rule names the waiting-time type: the road rule does not cover it
        self.assertEqual(waiting.state, "disputed")

    def test_a_credit_line_for_a_billed_accessorial_goes_to_a_credit_note(self):
        picking = self._done_picking({self.type_base: 100.0})
        (liftgate,) = self._bill(picking, ("liftgate", "35"))
        liftgate.with_user(self.biller).action_approve()
        self.Charge._cron_settle()
        self.assertEqual(liftgate.state, "billed")
        # the carrier credits the liftgate on its next invoice
        (credit,) = self._bill(picking, ("liftgate", "-35"), number="CI-C2", day="2026-12-02")
        self.assertEqual((credit.state, credit.approved_amount), ("approved", -35.0))
        with freeze_time("2026-12-05"):
            refund = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((refund.move_type, refund.amount_total), ("in_refund", 35.0))
        self.assertEqual((credit.state, credit.move_id), ("billed", refund))
