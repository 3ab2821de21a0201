# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestFreightCharge(TransactionCase):
    def test_match_and_dispute_against_quote(self):
        Charge = self.env["logistics.freight.charge"]
        exact = Charge.create({"name": "INV-1", "amount_quoted": 120.0, "amount_billed": 120.0})
        over = Charge.create({"name": "INV-2", "amount_quoted": 120.0, "amount_billed": 135.5})
        (exact | over).action_match()
        self.assertEqual(exact.state, "matched")
        self.assertEqual(over.state, "disputed")
        self.assertAlmostEqual(over.variance, 15.5)

    def test_logistics_user_reads_but_cannot_edit(self):
        charge = self.env["logistics.freight.charge"].create({"name": "INV-3", "amount_billed": 1})
        user = new_test_user(
            self.env,
            "ls_freight_user",
            groups="base.group_user,logistics_sync_base.group_logistics_sync_user",
        )
        self.assertEqual(charge.with_user(user).name, "INV-3")
        with self.assertRaises(AccessError):
            charge.with_user(user).write({"amount_billed": 0})
