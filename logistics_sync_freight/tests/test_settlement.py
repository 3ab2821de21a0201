# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Vendor bills from approved charges, never twice; accruals; credit notes."""

from datetime import date
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import FreightCommon, csv_bytes
from odoo.addons.logistics_sync_freight.models.logistics_freight_charge_settlement import (
    LogisticsFreightCharge,
)


class Killed(Exception):
    pass


@tagged("post_install", "-at_install")
class TestFreightSettlement(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.Move = cls.env["account.move"]

    def _approved(self, count, day="2026-11-30", number="CI-S"):
        pickings = [self._done_picking({self.type_base: 50.0}) for _i in range(count)]
        batch = self._import(
            csv_bytes(
                *[f"{number},{day},USD,{p.name},,base,50,1,run {i}" for i, p in enumerate(pickings)]
            ),
            name=f"{number}.csv",
        )
        charges = batch.invoice_ids.charge_ids
        self.assertEqual(set(charges.mapped("state")), {"approved"})
        return pickings, charges

    def _bills(self):
        return self.Move.search(
            [
                ("partner_id", "=", self.carrier.id),
                ("line_ids.logistics_freight_charge_id", "!=", False),
            ]
        )

    def test_an_approved_charge_is_billed_once(self):
        analytic_plan = self.env["account.analytic.plan"].create({"name": "Freight test"})
        account = self.env["account.analytic.account"].create(
            {"name": "Region North", "plan_id": analytic_plan.id}
        )
        so = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "price_unit": 10,
                            "analytic_distribution": {str(account.id): 100},
                        }
                    )
                ],
            }
        )
        (picking,), charges = self._approved(1)
        picking.group_id = self.env["procurement.group"].create({"name": so.name, "sale_id": so.id})
        bills = self.Charge._cron_settle()
        self.assertEqual(len(bills), 1)
        self.assertEqual(
            (bills.move_type, bills.state, bills.partner_id, bills.ref, bills.journal_id),
            ("in_invoice", "posted", self.carrier, "CI-S", self.purchase_journal),
        )
        self.assertEqual(bills.invoice_date, date(2026, 11, 30))
        line = bills.invoice_line_ids
        self.assertEqual((line.product_id, line.price_subtotal), (self.type_base.product_id, 50.0))
        self.assertEqual(line.analytic_distribution, {str(account.id): 100.0})
        self.assertEqual(line.analytic_line_ids.amount, -50.0)
        self.assertEqual(bills.amount_total, 50.0)
        self.assertAlmostEqual(sum(bills.line_ids.mapped("balance")), 0.0)
        self.assertEqual(
            (charges.state, charges.move_id, charges.move_line_id), ("billed", bills, line)
        )
        self.assertFalse(self.Charge._cron_settle())
        self.assertEqual(self._bills(), bills)
        # the database refuses a second bill line for the same charge
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            line.copy({"move_id": line.move_id.id, "logistics_freight_charge_id": charges.id})
            self.env.flush_all()
        # the Billing user opens them in the Accounting menu
        rows = self.Charge.with_user(self.biller).search_read(
            [("id", "=", charges.id)], ["state", "move_id"]
        )
        self.assertEqual(rows[0]["state"], "billed")

    def test_killed_in_the_middle_of_a_batch_bills_nothing_twice(self):
        _p, november = self._approved(2, "2026-11-30", "CI-NOV")
        _p, december = self._approved(4, "2026-12-31", "CI-DEC")
        real = LogisticsFreightCharge._freight_mark_billed
        calls = []

        def dies_on_second_group(charges, moves):
            calls.extend(moves.ids)
            if len(calls) > 1:
                raise Killed("worker killed")
            return real(charges, moves)

        # the batch's transaction rolls back whole (the savepoint stands for it here)
        with patch.object(LogisticsFreightCharge, "_freight_mark_billed", dies_on_second_group):
            with self.assertRaises(Killed), self.cr.savepoint():
                self.Charge._cron_settle(lines_per_bill=2)
        self.env.invalidate_all()
        self.assertEqual(len(calls), 3)  # November's bill, December's two
        self.assertFalse((november | december).move_id)
        self.assertEqual(set((november | december).mapped("state")), {"approved"})
        self.assertFalse(self.Move.browse(calls).exists())
        again = self.Charge._cron_settle(lines_per_bill=2)
        self.assertEqual(len(again), 3)
        self.assertEqual(sorted(again.mapped("ref")), ["CI-DEC", "CI-DEC", "CI-NOV"])
        self.assertFalse(self.Charge._cron_settle())
        all_charges = november | december
        self.assertEqual(set(all_charges.mapped("state")), {"billed"})
        lines = self._bills().invoice_line_ids
        self.assertEqual(len(lines), 6)
        self.assertEqual(sorted(set(lines.mapped("price_subtotal"))), [50.0])
        self.assertEqual(sum(self._bills().mapped("amount_total")), 300.0)
        self.assertEqual(sorted(lines.logistics_freight_charge_id.ids), sorted(all_charges.ids))

    def test_an_adjustment_after_billing_is_a_credit_note(self):
        _p, charge = self._approved(1)
        bill = self.Charge._cron_settle()
        action = charge.with_user(self.biller).action_credit()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.biller)
            .with_context(action["context"])
            .create({"amount": 5.0, "reason": "Late delivery credit"})
        )
        wizard.action_confirm()
        refund = self.Charge._cron_settle()
        self.assertEqual((refund.move_type, refund.amount_untaxed), ("in_refund", 5.0))
        self.assertEqual(self._bills(), bill | refund)
        self.assertFalse(self.Charge._cron_settle())

    def test_accrual_is_reversed_and_replaced_by_the_bill(self):
        Accrual = self.env["logistics.freight.accrual"]
        with freeze_time("2026-11-20"):
            picking = self._done_picking({self.type_base: 70.0}, day=date(2026, 11, 20))
        with freeze_time("2026-12-01"):
            accrual = Accrual._cron_accrue()
            self.assertEqual(Accrual._cron_accrue(), Accrual)  # once per period
        self.assertEqual((accrual.period_end, accrual.amount), (date(2026, 11, 30), 70.0))
        self.assertEqual(accrual.picking_ids, picking)
        move, reversal = accrual.move_id, accrual.reversal_move_id
        self.assertEqual((move.state, move.date), ("posted", date(2026, 11, 30)))
        self.assertEqual((reversal.state, reversal.date), ("posted", date(2026, 12, 1)))
        self.assertEqual(reversal.reversed_entry_id, move)
        self.assertEqual(sum(move.line_ids.mapped("debit")), 70.0)
        # the carrier's bill comes in December: December is not accrued again
        with freeze_time("2026-12-15"):
            self._import(csv_bytes(f"CI-X,2026-12-15,USD,{picking.name},,base,70,1,"))
            bill = self.Charge._cron_settle()
        self.assertEqual((bill.state, bill.amount_untaxed), ("posted", 70.0))
        with freeze_time("2027-01-02"):
            self.assertNotIn(picking, Accrual._freight_unbilled(self.company, date(2026, 12, 31)))
