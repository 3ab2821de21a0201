# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The server-side guard on charges: their state and amounts change through the
audit and its decisions only; billed charges stay."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import FreightCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestFreightChargeGuard(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.manager = new_test_user(
            cls.env,
            "ls_freight_manager",
            groups="account.group_account_manager,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.picking = cls._done_picking({cls.type_base: 100.0})

    def _disputed(self):
        batch = self._import(csv_bytes(f"CI-G,2026-11-30,USD,{self.picking.name},,base,130,1,"))
        charge = batch.invoice_ids.charge_ids
        self.assertEqual(charge.state, "disputed")
        return charge

    def test_the_state_and_amounts_are_refused_over_rpc(self):
        charge = self._disputed()
        before = charge.read(["state", "amount", "approved_amount", "move_id"])
        for user in (self.biller, self.manager):
            for vals in (
                {"state": "approved"},
                {"approved_amount": 130.0},
                {"amount": 100.0},
                {"move_id": 1},
                {"state": "billed", "approved_amount": 130.0},
            ):
                with self.assertRaises(AccessError) as caught:
                    charge.with_user(user).write(vals)
                self.assertIn("only through the audit and its decisions", str(caught.exception))
                self.assertIn(sorted(vals)[0], str(caught.exception))
            with self.assertRaises(AccessError):
                self.Charge.with_user(user).create(
                    {**charge.copy_data()[0], "state": "approved", "approved_amount": 130}
                )
        charge.invalidate_recordset()
        self.assertEqual(charge.read(["state", "amount", "approved_amount", "move_id"]), before)
        self.assertEqual(self._charges(self.picking), charge)
        self.assertFalse(self.Charge._cron_settle())
        # the decisions still work, as the Billing user, and say who in the chatter
        charge.with_user(self.biller).action_approve()
        self.assertEqual((charge.state, charge.approved_amount), ("approved", 130.0))
        self.assertIn(self.biller.name, charge.message_ids[0].body)

    def test_billed_charges_cannot_be_deleted(self):
        charge = self._disputed()
        charge.with_user(self.biller).action_approve()
        bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual(charge.state, "billed")
        with self.assertRaises(UserError) as caught:
            charge.with_user(self.manager).unlink()
        self.assertIn("Billed freight charges cannot be deleted", str(caught.exception))
        with self.assertRaises(UserError):
            charge.invoice_id.with_user(self.manager).unlink()
        with self.assertRaises(UserError):
            charge.sudo().unlink()
        self.assertTrue(charge.exists())
        self.assertEqual((charge.move_id, bill.state), (bill, "posted"))
        # an unbilled one may go (a manager cleaning up a wrong import)
        other = self._done_picking({self.type_base: 10.0})
        batch = self._import(csv_bytes(f"CI-D,2026-11-30,USD,{other.name},,base,99,1,"))
        loose = batch.invoice_ids.charge_ids
        self.assertEqual(loose.state, "disputed")
        loose.with_user(self.manager).unlink()
        self.assertFalse(loose.exists())
