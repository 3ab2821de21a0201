# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Period-end accruals: every done transfer with a known expected cost and no bill,
for a month chosen in a wizard or last month by the cron, reversed on the first
day of the next month; the report says per carrier what and why."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import Form, TransactionCase, freeze_time, tagged

from .common import FreightCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestFreightAccrual(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.Accrual = cls.env["logistics.freight.accrual"]
        cls.flat = cls.env["delivery.carrier"].create(
            {
                "name": "Flat rate road",
                "product_id": cls.type_base.product_id.id,
                "delivery_type": "fixed",
                "fixed_price": 25.0,
            }
        )

    def _shipped_with_flat_rate(self):
        """Validated by a warehouse user: the rate is frozen at validation."""
        picking = self._make_picking()
        picking.carrier_id = self.flat
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.with_user(self.stock_user).button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _accrue_month(self, month):
        wizard = Form(self.env["logistics.freight.accrue"].with_user(self.biller))
        wizard.month = month
        action = wizard.save().action_accrue()
        return self.Accrual.browse(action["res_id"])

    def test_shipped_not_invoiced_is_accrued_for_the_chosen_month(self):
        with freeze_time("2026-10-14"):
            rated = self._shipped_with_flat_rate()
        expected = rated.freight_expected_id
        self.assertEqual((expected.source, expected.amount_company), ("rate", 25.0))
        with freeze_time("2026-10-20"):
            booked = self._done_picking({self.type_base: 70.0, self.type_fuel: 7.0})
            billed = self._done_picking({self.type_base: 40.0})
            self._import(csv_bytes(f"CI-OCT,2026-10-18,USD,{billed.name},,base,40,1,"))
            self.Charge._cron_settle()
        self.assertEqual(self._charges(billed).state, "billed")
        with freeze_time("2026-12-03"):
            accrual = self._accrue_month(date(2026, 10, 9))
            self.assertEqual(accrual.period_end, date(2026, 10, 31))
            self.assertEqual(accrual.picking_ids, rated | booked)
            self.assertEqual(accrual.amount, 102.0)
            move, reversal = accrual.move_id, accrual.reversal_move_id
            self.assertEqual((move.state, move.date), ("posted", date(2026, 10, 31)))
            self.assertEqual((reversal.state, reversal.date), ("posted", date(2026, 11, 1)))
            self.assertEqual(reversal.reversed_entry_id, move)
            credit = move.line_ids.filtered(lambda line: line.credit)
            self.assertEqual((credit.account_id, credit.credit), (self.accrued_account, 102.0))
            # the report: per carrier, what and why
            lines = (
                self.env["logistics.freight.accrual.line"]
                .with_user(self.biller)
                .search([("accrual_id", "=", accrual.id)])
            )
            self.assertEqual(len(lines), 3)
            flat = lines.filtered(lambda line: line.carrier_id == self.flat)
            self.assertEqual((flat.picking_id, flat.amount, flat.source), (rated, 25.0, "rate"))
            self.assertIn("rate, frozen at validation", flat.reason)
            self.assertEqual(sorted((lines - flat).mapped("amount")), [7.0, 70.0])
            # a month once
            with self.assertRaises(UserError) as caught:
                self._accrue_month(date(2026, 10, 1))
            self.assertIn("already accrued", str(caught.exception))
            self.assertEqual(
                self.Accrual.search_count([("period_end", "=", date(2026, 10, 31))]), 1
            )
            # a month not over yet is refused, nothing booked
            with self.assertRaises(UserError) as caught:
                self._accrue_month(date(2026, 12, 1))
            self.assertIn("has not ended", str(caught.exception))
        self.assertEqual(self.Accrual.search_count([]), 1)

    def test_cron_accrues_last_month_and_an_unconfigured_company_gets_an_activity(self):
        other = self.env["res.company"].create({"name": "Freight Co without accounts"})
        with freeze_time("2026-11-12"):
            picking = self._done_picking({self.type_base: 30.0})
        with freeze_time("2026-12-01"):
            accruals = self.Accrual._cron_accrue()
            self.assertEqual(accruals.company_id, self.company)
            self.assertEqual(
                (accruals.period_end, accruals.picking_ids), (date(2026, 11, 30), picking)
            )
            self.assertEqual(accruals.reversal_move_id.date, date(2026, 12, 1))
            activity = other.partner_id.activity_ids
            self.assertEqual(len(activity), 1)
            self.assertIn("Expense Accrual Account", activity.note)
            self.assertIn(other.name, activity.note)
            self.assertFalse(self.Accrual.search([("company_id", "=", other.id)]))
            self.assertFalse(self.Accrual._cron_accrue())  # once; no second activity
        self.assertEqual(len(other.partner_id.activity_ids), 1)
