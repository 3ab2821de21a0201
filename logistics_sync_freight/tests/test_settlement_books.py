# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Bills an auditor signs: taxes by fiscal position, journals chosen, hashes that
verify, lock dates, a 0-decimal currency, and a misconfigured company that stops
nobody else. Settled by a Billing user in no Logistics Sync group."""

from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .common import FreightCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestFreightBooks(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.Move = cls.env["account.move"]
        cls.Tax = cls.env["account.tax"]
        cls.input_vat = cls.Tax.create(
            {"name": "Input VAT 10 %", "amount": 10, "type_tax_use": "purchase"}
        )
        cls.reverse_charge = cls.Tax.create(
            {"name": "Reverse charge 0 %", "amount": 0, "type_tax_use": "purchase"}
        )
        cls.type_base.product_id.supplier_taxes_id = cls.input_vat
        cls.type_fuel.product_id.supplier_taxes_id = cls.input_vat

    def _approved(self, lines, day="2026-11-30", number="CI-B", endpoint=None, currency="USD"):
        """Charges imported and approved: ``lines`` = [(picking, type code, amount)]."""
        batch = self._import(
            csv_bytes(
                *[f"{number},{day},{currency},{p.name},,{code},{amt},1," for p, code, amt in lines]
            ),
            name=f"{number}.csv",
            endpoint=endpoint,
        )
        charges = batch.invoice_ids.charge_ids
        self.assertEqual(set(charges.mapped("state")), {"approved"}, charges.mapped("audit_reason"))
        return charges

    def test_one_line_per_charge_with_supplier_taxes_and_the_fiscal_position(self):
        picking = self._done_picking({self.type_base: 100.0, self.type_fuel: 12.0})
        charges = self._approved([(picking, "base", 100), (picking, "fuel", 12)])
        # bought in another unit than sold: a bill line is in the purchase unit, as
        # Odoo puts it on any vendor bill
        fuel = self.type_fuel.product_id
        fuel.uom_po_id = self.env["uom.uom"].create(
            {
                "name": "Fuel surcharge unit",
                "category_id": fuel.uom_id.category_id.id,
                "uom_type": "bigger",
                "factor_inv": 1.0,
            }
        )
        bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((bill.ref, bill.state, len(bill.invoice_line_ids)), ("CI-B", "posted", 2))
        for charge in charges:
            line = charge.move_line_id
            self.assertEqual(line.logistics_freight_charge_id, charge)
            self.assertEqual(line.product_id, charge.charge_type_id.product_id)
            self.assertEqual(line.product_uom_id, line.product_id.uom_po_id)
            self.assertEqual(line.tax_ids, self.input_vat)
            self.assertEqual(line.price_subtotal, charge.approved_amount)
        self.assertEqual(
            (bill.amount_untaxed, bill.amount_tax, bill.amount_total), (112, 11.2, 123.2)
        )
        # a foreign carrier: its fiscal position maps input VAT to the reverse charge
        position = self.env["account.fiscal.position"].create(
            {
                "name": "Foreign carriers",
                "tax_ids": [
                    Command.create(
                        {"tax_src_id": self.input_vat.id, "tax_dest_id": self.reverse_charge.id}
                    )
                ],
            }
        )
        foreign = self.env["res.partner"].create(
            {"name": "Foreign Carrier GmbH", "property_account_position_id": position.id}
        )
        endpoint = self.env["logistics.endpoint"].create(
            {
                "name": "Foreign carrier",
                "code": "foreign-carrier",
                "kind": "carrier",
                "freight_partner_id": foreign.id,
            }
        )
        other = self._done_picking({self.type_base: 80.0})
        self._approved([(other, "base", 80)], number="DE-1", endpoint=endpoint)
        bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((bill.partner_id, bill.fiscal_position_id), (foreign, position))
        self.assertEqual(bill.invoice_line_ids.tax_ids, self.reverse_charge)
        self.assertEqual((bill.amount_untaxed, bill.amount_total), (80, 80))

    def test_a_journal_that_hashes_on_post_still_verifies(self):
        journal = self.env["account.journal"].create(
            {
                "name": "Freight bills (secured)",
                "code": "FRS",
                "type": "purchase",
                "restrict_mode_hash_table": True,
            }
        )
        self.endpoint.freight_journal_id = journal
        pickings = [self._done_picking({self.type_base: 50.0}) for _i in range(3)]
        self._approved([(p, "base", 50) for p in pickings], number="CI-H1")
        bills = self.Charge.with_user(self.biller)._cron_settle(lines_per_bill=2)
        self.assertEqual(len(bills), 2)
        self.assertEqual(bills.journal_id, journal)
        self.assertTrue(all(bills.mapped("inalterable_hash")))
        accountant = new_test_user(
            self.env, "ls_freight_accountant", groups="account.group_account_user"
        )
        report = self.company.with_user(accountant)._check_hash_integrity()
        results = [r for r in report["results"] if r["journal_name"].startswith(journal.name)]
        self.assertTrue(results)
        self.assertEqual({r["status"] for r in results}, {"verified"}, results)

    def test_a_charge_of_a_locked_period_goes_to_the_first_open_date(self):
        picking = self._done_picking({self.type_base: 60.0})
        charge = self._approved([(picking, "base", 60)], day="2026-10-15", number="CI-L")
        self.company.purchase_lock_date = date(2026, 10, 31)
        with freeze_time("2026-11-10"):
            bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual(bill.invoice_date, date(2026, 10, 15))
        self.assertGreater(bill.date, date(2026, 10, 31))
        self.assertEqual((bill.state, charge.state), ("posted", "billed"))
        said = " ".join(bill.message_ids.mapped("body"))
        self.assertIn("is locked", said)
        self.assertIn("is locked", " ".join(charge.invoice_id.message_ids.mapped("body")))

    def test_a_misconfigured_company_stops_nobody_and_yen_have_no_decimals(self):
        jpy = self.env.ref("base.JPY")
        jpy.active = True
        yen_company = self.env["res.company"].create({"name": "Freight Japan KK"})
        self.env["account.chart.template"].try_loading(
            "generic_coa", company=yen_company, install_demo=False
        )
        yen_company.currency_id = jpy
        self.assertEqual(jpy.decimal_places, 0)
        self.env.user.company_ids |= yen_company
        endpoint = self.env["logistics.endpoint"].create(
            {
                "name": "Japan carrier",
                "code": "japan-carrier",
                "kind": "carrier",
                "company_id": yen_company.id,
                "freight_partner_id": self.carrier.id,
            }
        )
        yen_picking = self._done_picking(None, company=yen_company)
        self.env["logistics.freight.expected"]._freeze(
            yen_picking,
            {
                "source": "manual",
                "currency": jpy,
                "date": date.today(),
                "lines": [(self.type_base, 12345)],
            },
        )
        yen = self._approved(
            [(yen_picking, "base", 12345)], number="JP-1", endpoint=endpoint, currency="JPY"
        )
        picking = self._done_picking({self.type_base: 40.0})
        usd = self._approved([(picking, "base", 40)], number="CI-U")
        moves_before = self.Move.search_count([("company_id", "=", yen_company.id)])
        biller = new_test_user(
            self.env,
            "ls_freight_biller_two",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[self.company.id, yen_company.id],
        )
        bills = self.Charge.with_user(biller)._cron_settle()
        # the company with no purchase journal for freight: an activity, nothing billed
        self.assertEqual(bills, usd.move_id)
        self.assertEqual((usd.state, yen.state), ("billed", "approved"))
        self.assertEqual(
            self.Move.search_count([("company_id", "=", yen_company.id)]), moves_before
        )
        activity = endpoint.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("purchase journal", activity.note)
        self.assertIn(yen_company.name, activity.note)
        self.assertFalse(self.Charge._cron_settle())  # once: no second activity
        self.assertEqual(len(endpoint.activity_ids), 1)
        # configured: billed in yen, no decimals
        yen_company.logistics_freight_journal_id = self.env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", yen_company.id)], limit=1
        )
        bill = self.Charge.with_user(biller)._cron_settle()
        self.assertEqual(
            (bill.company_id, bill.currency_id, yen.state), (yen_company, jpy, "billed")
        )
        # the chart gave the products the company's purchase tax: rounded to the yen
        self.assertEqual((bill.amount_untaxed, yen.approved_amount), (12345, 12345))
        self.assertTrue(bill.amount_tax and bill.amount_tax == round(bill.amount_tax))
        self.assertEqual(bill.amount_total, bill.amount_untaxed + bill.amount_tax)
        self.assertEqual(
            bill.line_ids.mapped(lambda line: line.balance % 1), [0.0] * len(bill.line_ids)
        )

    def test_a_failing_group_is_rolled_back_alone(self):
        """A group that Odoo refuses (here: an endpoint's journal that is not a
        purchase journal) rolls back alone; the other carrier's bill is posted."""
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company.id)], limit=1
        )
        partner = self.env["res.partner"].create({"name": "Misconfigured carrier"})
        wrong = self.env["logistics.endpoint"].create(
            {
                "name": "Misconfigured carrier",
                "code": "misconfigured-carrier",
                "kind": "carrier",
                "freight_partner_id": partner.id,
                "freight_journal_id": misc.id,
            }
        )
        p1, p2 = (self._done_picking({self.type_base: 30.0}) for _i in range(2))
        refused = self._approved([(p1, "base", 30)], number="W-1", endpoint=wrong)
        fine = self._approved([(p2, "base", 30)], number="CI-F")
        bills = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual(bills, fine.move_id)
        self.assertEqual(
            (fine.state, refused.state, refused.move_id.id), ("billed", "approved", False)
        )
        self.assertEqual(len(wrong.activity_ids), 1)
        self.assertIn("Misconfigured carrier", wrong.activity_ids.note)

    def test_run_manually_settles_everything_due(self):
        pickings = [self._done_picking({self.type_base: 20.0}) for _i in range(5)]
        charges = self._approved([(p, "base", 20) for p in pickings], number="CI-R")
        cron = self.env.ref("logistics_sync_freight.ir_cron_freight_settle")
        cron.code = "model._cron_settle(limit=2, lines_per_bill=1)"
        cron.method_direct_trigger()
        self.assertEqual(set(charges.mapped("state")), {"billed"})
        self.assertEqual(len(charges.move_id), 5)

    # -- the bills are Odoo's own ----------------------------------------------

    def _odoo_bill(self, bill):
        """The same bill built by Odoo's own synchronisation: its header and product
        lines given as a user would enter them, then posted."""
        move = self.Move.create(
            {
                "move_type": bill.move_type,
                "partner_id": bill.partner_id.id,
                "journal_id": bill.journal_id.id,
                "fiscal_position_id": bill.fiscal_position_id.id,
                "currency_id": bill.currency_id.id,
                "invoice_date": bill.invoice_date,
                "ref": bill.ref,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": line.product_id.id,
                            "product_uom_id": line.product_uom_id.id,
                            "account_id": line.account_id.id,
                            "tax_ids": [Command.set(line.tax_ids.ids)],
                            "name": line.name,
                            "quantity": line.quantity,
                            "price_unit": line.price_unit,
                            "analytic_distribution": line.analytic_distribution,
                        }
                    )
                    for line in bill.invoice_line_ids
                ],
            }
        )
        move.action_post()
        return move

    def _books(self, move):
        """What an auditor reads of a bill: its totals and every journal item."""
        header = tuple(
            move[name]
            for name in (
                "state",
                "date",
                "invoice_date",
                "invoice_date_due",
                "currency_id",
                "invoice_currency_rate",
                "commercial_partner_id",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "amount_residual",
                "amount_untaxed_signed",
                "amount_tax_signed",
                "amount_total_signed",
                "amount_total_in_currency_signed",
                "payment_state",
                "always_tax_exigible",
            )
        )
        lines = sorted(
            (
                line.display_type,
                line.account_id.id,
                line.partner_id.id,
                tuple(line.tax_ids.ids),
                line.tax_line_id.id,
                line.tax_repartition_line_id.id,
                line.group_tax_id.id,
                tuple(sorted(line.tax_tag_ids.ids)),
                line.tax_tag_invert,
                line.currency_id.id,
                line.amount_currency,
                line.balance,
                line.debit,
                line.credit,
                line.amount_residual,
                line.amount_residual_currency,
                line.tax_base_amount,
                line.price_unit,
                line.price_subtotal,
                line.price_total,
                line.date_maturity,
                line.discount_date or False,
                line.name or "",
                line.product_id.id,
                line.quantity,
                str(line.analytic_distribution),
            )
            for line in move.line_ids
        )
        return header, lines

    def test_bills_are_the_ones_odoo_builds(self):
        """Settled bills (created complete, tax and payment term lines computed once
        per bill) hold exactly the journal items Odoo's own synchronisation gives
        the same bill: a foreign currency at a rate, input VAT on some lines only,
        amounts that round, a payment term in two instalments, a credit note."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": eur.id,
                "name": "2026-11-01",
                "rate": 0.8134,
                "company_id": self.company.id,
            }
        )
        self.env["logistics.freight.tolerance"].create(
            {
                "name": "Liftgates allowed",
                "charge_type_id": self.type_liftgate.id,
                "allow_accessorial": True,
            }
        )
        self.carrier.property_supplier_payment_term_id = self.env["account.payment.term"].create(
            {
                "name": "30 % now, 70 % in 45 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 30, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 70, "nb_days": 45}),
                ],
            }
        )
        day = date(2026, 11, 5)
        pickings = [
            self._done_picking({self.type_base: 100.15, self.type_fuel: 12.35}, eur, day),
            self._done_picking({self.type_base: 33.33, self.type_fuel: 3.37}, eur, day),
        ]
        rows = [
            (pickings[0], "base", 100.15),
            (pickings[0], "fuel", 12.35),
            (pickings[0], "liftgate", 35.01),
            (pickings[1], "base", 33.33),
            (pickings[1], "fuel", 3.37),
        ]
        charges = self._approved(rows, number="CI-EQ", currency="EUR")
        bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((len(bill), len(bill.invoice_line_ids)), (1, 5))
        self.assertEqual(bill.invoice_line_ids.logistics_freight_charge_id, charges)
        self.assertEqual(
            sorted(bill.line_ids.mapped("display_type")),
            ["payment_term", "payment_term", *["product"] * 5, "tax"],
        )
        odoo_bill = self._odoo_bill(bill)
        self.assertEqual(self._books(bill), self._books(odoo_bill))
        self.assertEqual(bill.tax_totals, odoo_bill.tax_totals)
        # a credit after billing: a credit note, the same as Odoo's
        base = charges.filtered(lambda c: c.charge_type_id == self.type_base)[:1]
        action = base.with_user(self.biller).action_credit()
        self.env[action["res_model"]].with_user(self.biller).with_context(action["context"]).create(
            {"amount": 7.77, "reason": "Late delivery"}
        ).action_confirm()
        refund = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((refund.move_type, refund.amount_untaxed), ("in_refund", 7.77))
        self.assertEqual(self._books(refund), self._books(self._odoo_bill(refund)))

    def test_a_full_batch_never_splits_a_carrier_invoice(self):
        """A batch that reaches its limit leaves the last carrier invoice whole for
        the next batch, also when another carrier's charges filled most of it: one
        bill per carrier invoice, unless the invoice alone is larger than a batch."""
        partner = self.env["res.partner"].create({"name": "Second carrier"})
        other = self.env["logistics.endpoint"].create(
            {
                "name": "Second carrier",
                "code": "second-carrier",
                "kind": "carrier",
                "freight_partner_id": partner.id,
            }
        )
        pickings = [self._done_picking({self.type_base: 10.0}) for _i in range(6)]
        first = self._approved([(p, "base", 10) for p in pickings[:2]], number="CI-S1")
        second = self._approved([(p, "base", 10) for p in pickings[2:4]], number="CI-S2")
        third = self._approved(
            [(p, "base", 10) for p in pickings[4:]], number="CI-S3", endpoint=other
        )
        # as the cron worker runs it: one batch (of at most 3 charges) a call
        Charge = self.Charge.with_user(self.biller).with_context(cron_id=False)
        for charges in (first, second, third):
            bill = Charge._cron_settle(limit=3)
            self.assertEqual(bill.invoice_line_ids.logistics_freight_charge_id, charges)
            self.assertEqual(bill.ref, charges.invoice_id.name)
        self.assertFalse(Charge._cron_settle(limit=3))
        # an invoice larger than a batch is still billed, over several bills
        large = self._approved(
            [(self._done_picking({self.type_base: 10.0}), "base", 10) for _i in range(4)],
            number="CI-S4",
        )
        bills = Charge._cron_settle(limit=3) | Charge._cron_settle(limit=3)
        self.assertEqual((set(bills.mapped("ref")), len(bills)), ({"CI-S4"}, 2))
        self.assertEqual(bills.invoice_line_ids.logistics_freight_charge_id, large)
