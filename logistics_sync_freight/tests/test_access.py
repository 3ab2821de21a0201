# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An Accounting / Billing user in no Logistics Sync group invoices and bills
as before the suite was installed."""

from odoo import fields
from odoo.tests import Form, TransactionCase, new_test_user, tagged

from .common import FreightCommon, csv_bytes
from odoo.addons.logistics_sync_base.tests.common_access import (
    assert_rights_kept,
    open_form,
    open_list,
    plain_user,
)
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestBillingUserAccess(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.biller = plain_user(cls, "ls_biller", "account.group_account_invoice")
        cls.partner = cls.env["res.partner"].create({"name": "Freight Forwarder SA"})
        cls.service = cls.env["product.product"].create(
            {"name": "Road freight", "type": "service", "list_price": 100.0}
        )

    def _biller_posts(self, move_type, price):
        Move = self.env["account.move"].with_user(self.biller)
        with Form(Move.with_context(default_move_type=move_type)) as form:
            form.partner_id = self.partner
            form.invoice_date = fields.Date.today()
            with form.invoice_line_ids.new() as line:
                line.product_id = self.service
                line.price_unit = price
        move = form.record
        self.assertEqual(move.state, "draft")
        with trap_jobs() as trap:
            move.action_post()
            trap.assert_jobs_count(0)
        self.assertEqual(move.state, "posted")
        self.assertTrue(move.name and move.name != "/")
        self.assertAlmostEqual(move.amount_untaxed, price)
        return move

    def test_installing_took_no_right_away(self):
        assert_rights_kept(
            self,
            self.biller,
            {
                "account.move": ("read", "write", "create"),
                "account.move.line": ("read", "write", "create"),
                "account.payment": ("read", "write", "create"),
            },
        )

    def test_biller_posts_a_customer_invoice_and_a_vendor_bill(self):
        charges = self.env["logistics.freight.charge"].search_count([])
        invoice = self._biller_posts("out_invoice", 120.0)
        bill = self._biller_posts("in_invoice", 80.0)
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(self.env["logistics.freight.charge"].search_count([]), charges)

    def test_biller_opens_invoice_form_and_list(self):
        invoice = self._biller_posts("out_invoice", 50.0)
        _arch, [values] = open_form(invoice)
        self.assertEqual(values["state"], "posted")
        _arch, rows = open_list(invoice.browse(), [("id", "=", invoice.id)])
        self.assertEqual([row["id"] for row in rows], invoice.ids)


@tagged("post_install", "-at_install")
class TestFreightFinanceAccess(FreightCommon, TransactionCase):
    """The Billing user (no Logistics Sync group) works the whole finance flow;
    companies see their own freight only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.picking = cls._done_picking({cls.type_base: 100.0})

    def test_billing_user_opens_every_freight_view(self):
        self._import(csv_bytes(f"CI-V,2026-11-30,USD,{self.picking.name},,base,130,1,"))
        for model in (
            "logistics.freight.charge",
            "logistics.freight.invoice",
            "logistics.freight.batch",
            "logistics.freight.expected",
            "logistics.freight.accrual",
            "logistics.freight.accrual.line",
            "logistics.freight.tolerance",
            "logistics.freight.charge.type",
        ):
            Model = self.env[model].with_user(self.biller)
            _arch, rows = open_list(Model, [])
            if rows:
                open_form(Model.browse(rows[0]["id"]))
        charge = self.Charge.with_user(self.biller).search(
            [("shipment_ref", "=", self.picking.name)]
        )
        self.assertEqual(charge.state, "disputed")
        groups = self.Charge.with_user(self.biller).read_group(
            [("partner_id", "=", self.carrier.id)], ["variance:sum"], ["partner_id"]
        )
        self.assertEqual(groups[0]["variance"], 30.0)
        menu = self.env.ref("logistics_sync_freight.menu_freight_charges")
        visible = self.env["ir.ui.menu"].with_user(self.biller)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        charge.action_approve()
        self.assertEqual(len(self.Charge.with_user(self.biller)._cron_settle()), 1)

    def test_other_company_sees_nothing_and_matches_its_own_transfers(self):
        other = self.env["res.company"].create({"name": "Freight Co B"})
        endpoint_b = self.env["logistics.endpoint"].create(
            {
                "name": "Carrier B",
                "code": "carrier-b",
                "kind": "carrier",
                "company_id": other.id,
                "freight_partner_id": self.carrier.id,
            }
        )
        batch = self._import(
            csv_bytes(f"CI-M,2026-11-30,USD,{self.picking.name},,base,100,1,"),
            endpoint=endpoint_b,
        )
        charge = batch.invoice_ids.charge_ids
        # company A's transfer name means nothing in company B: it waits
        self.assertEqual((charge.company_id, charge.state), (other, "waiting"))
        user_b = new_test_user(
            self.env,
            "ls_biller_b",
            groups="account.group_account_invoice",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertEqual(self.Charge.with_user(user_b).search([]), charge)
        self.assertNotIn(charge, self.Charge.with_user(self.biller).search([]))
