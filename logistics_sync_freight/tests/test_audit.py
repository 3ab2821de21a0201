# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The audit against the expected cost, and the dispute actions of the Billing user."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import Form, TransactionCase, tagged

from .common import FreightCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestFreightAudit(FreightCommon, TransactionCase):
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

    def _bill(self, picking, *lines, number="CI-A"):
        rows = [
            f"{number},2026-11-30,USD,{picking.name},,{code},{amount},1," for code, amount in lines
        ]
        batch = self._import(csv_bytes(*rows))
        self.assertEqual(batch.state, "accepted", batch.errors)
        return batch.invoice_ids.charge_ids.sorted("id")

    def test_within_tolerance_is_approved(self):
        picking = self._done_picking({self.type_base: 100.0, self.type_fuel: 10.0})
        base, fuel = self._bill(picking, ("base", "104.99"), ("fuel", "11.50"))
        self.assertEqual((base.state, base.approved_amount), ("approved", 104.99))
        self.assertAlmostEqual(base.variance, 4.99)
        self.assertEqual(fuel.state, "approved")
        # the same shipment billed again: nothing of the expected cost is left
        (again,) = self._bill(picking, ("base", "100"), number="CI-B")
        self.assertEqual(again.state, "disputed")
        self.assertEqual(again.expected_amount, 0.0)

    def test_surcharge_outside_tolerance_is_disputed_then_short_paid(self):
        picking = self._done_picking({self.type_base: 100.0, self.type_fuel: 10.0})
        base, fuel = self._bill(picking, ("base", "100"), ("fuel", "25"))
        self.assertEqual(base.state, "approved")
        self.assertEqual(fuel.state, "disputed")
        self.assertEqual(fuel.audit_reason, "over the expected cost by 15.00 (tolerance 2.00)")
        invoice = fuel.invoice_id
        self.assertEqual(invoice.activity_ids.user_id, self.responsible)
        self.assertEqual(invoice.disputed_count, 1)
        # the Billing user approves 12 of 25: short-paid, 13 stays disputed
        action = fuel.with_user(self.biller).action_short_pay()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.biller).with_context(action["context"])
        )
        wizard.amount = 12.0
        wizard.save().action_confirm()
        self.assertEqual((fuel.state, fuel.approved_amount), ("short_paid", 12.0))
        rest = self.Charge.search([("parent_id", "=", fuel.id)])
        self.assertEqual((rest.state, rest.amount), ("disputed", 13.0))
        note = fuel.message_ids[0]
        self.assertEqual(note.author_id, self.biller.partner_id)
        self.assertIn("12.0 approved, 13.0 stays disputed", note.body)
        # approving more than the charge is refused, nothing changes
        with self.assertRaises(UserError):
            rest.with_user(self.biller)._freight_short_pay(20.0)
        self.assertEqual(rest.state, "disputed")
        rest.with_user(self.biller).action_reject()
        self.assertEqual(rest.state, "rejected")
        self.assertIn("Rejected by", rest.message_ids[0].body)

    def test_accessorial_absent_from_expected_cost(self):
        picking = self._done_picking({self.type_base: 100.0})
        (liftgate,) = self._bill(picking, ("liftgate", "35"))
        self.assertEqual(liftgate.state, "disputed")
        self.assertEqual(liftgate.audit_reason, "accessorial not in the expected cost")
        liftgate.with_user(self.biller).action_approve()
        self.assertEqual((liftgate.state, liftgate.approved_amount), ("approved", 35.0))
        self.assertIn("Approved in full by", liftgate.message_ids[0].body)
        # a rule for this carrier allows liftgates
        self.env["logistics.freight.tolerance"].create(
            {
                "name": "Liftgates OK",
                "partner_id": self.carrier.id,
                "charge_type_id": self.type_liftgate.id,
                "allow_accessorial": True,
            }
        )
        other = self._done_picking({self.type_base: 100.0})
        (allowed,) = self._bill(other, ("liftgate", "35"), number="CI-L")
        self.assertEqual(allowed.state, "approved")

    def test_a_charge_for_an_open_transfer_waits_until_validation(self):
        picking = self._make_picking()
        self._expect(picking, {self.type_base: 100.0})
        (base,) = self._bill(picking, ("base", "100"))
        self.assertEqual((base.state, base.wait_reason), ("waiting", "transfer_open"))
        with self.assertRaises(UserError):
            base.with_user(self.biller).action_approve()
        self.assertEqual(self.Charge._cron_settle(), self.env["account.move"])
        self.assertFalse(base.move_id)
        # the warehouse validates: the charge is audited then
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1)
        picking.with_user(self.stock_user).action_assign()
        picking.move_ids.with_user(self.stock_user).write({"quantity": 1, "picked": True})
        picking.with_user(self.stock_user).button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(base.state, "approved")

    def test_partial_shipment_each_part_on_its_own(self):
        picking = self._make_picking()
        picking.move_ids.product_uom_qty = 2
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1)
        picking.action_assign()
        picking.move_ids.write({"quantity": 1, "picked": True})
        picking.with_context(cancel_backorder=False)._action_done()
        backorder = picking.backorder_ids
        self.assertEqual((picking.state, backorder.state), ("done", "confirmed"))
        self._expect(picking, {self.type_base: 60.0})
        self._expect(backorder, {self.type_base: 60.0})
        first = self._bill(picking, ("base", "60"))
        second = self._bill(backorder, ("base", "60"), number="CI-P2")
        self.assertEqual((first.state, second.state), ("approved", "waiting"))

    def test_currencies_convert_at_the_booking_date(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            [
                {
                    "currency_id": eur.id,
                    "name": "2026-11-02",
                    "rate": 0.5,
                    "company_id": self.company.id,
                },
                {
                    "currency_id": eur.id,
                    "name": "2026-11-20",
                    "rate": 0.8,
                    "company_id": self.company.id,
                },
            ]
        )
        picking = self._done_picking({self.type_base: 100.0}, currency=eur, day=date(2026, 11, 5))
        self.assertEqual(picking.freight_expected_id.line_ids.amount_company, 200.0)
        batch = self._import(csv_bytes(f"CI-E,2026-11-30,EUR,{picking.name},,base,101,1,"))
        charge = batch.invoice_ids.charge_ids
        # converted at the booking date's rate (0.5), not the invoice date's (0.8)
        self.assertEqual((charge.state, charge.amount_company), ("approved", 202.0))
        move = self.Charge._cron_settle()
        self.assertEqual((move.currency_id, move.amount_untaxed), (eur, 101.0))
