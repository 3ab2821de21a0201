# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS's planned cost is the expected cost, and a carrier bills a transfer by its
TMS load number."""

from odoo.tests import TransactionCase, tagged

from .common import FreightTmsCommon
from odoo.addons.logistics_sync_freight.tests.common import csv_bytes


@tagged("post_install", "-at_install")
class TestFreightTms(FreightTmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()

    def test_billed_by_load_against_the_tms_planned_cost(self):
        picking = self._planned(
            "LOAD-000042",
            {
                "currency": self.usd.name,
                "lines": [
                    {"charge_type": "base_freight", "amount": 80.0},
                    {"charge_type": "fuel_surcharge", "amount": 9.6},
                    {"charge_type": "express", "amount": 25.0},
                ],
            },
        )
        other = self._planned("LOAD-000043", None)
        self.assertEqual(
            other.sudo()._freight_expected_cost_sources()[0], "_freight_expected_from_tms"
        )
        batch = self._import(
            csv_bytes(
                "CI-T,2026-11-30,USD,LOAD-000042,,base,105,1,",
                "CI-T,2026-11-30,USD,LOAD-000042,,fuel,9.60,1,",
            )
        )
        self.assertEqual(batch.state, "accepted", batch.errors)
        base, fuel = batch.invoice_ids.charge_ids.sorted("id")
        self.assertEqual((base.picking_id, fuel.picking_id), (picking, picking))
        expected = picking.sudo().freight_expected_id
        self.assertEqual(expected.source, "tms")
        self.assertEqual(
            {line.charge_type_id: line.amount for line in expected.line_ids},
            {self.type_base: 105.0, self.type_fuel: 9.6},  # express counted as base freight
        )
        self.assertEqual((base.state, fuel.state), ("approved", "approved"))
        # no planned cost from the TMS: the next source (none here) is used
        self.assertIsNone(other._freight_expected_from_tms())

    def test_billing_user_imports_a_charge_matched_by_load(self):
        """An Accounting / Billing user in no Logistics Sync group (no access to TMS
        releases) imports a file whose charge names a TMS load: matched, audited
        against the TMS's planned cost, approved, billed."""
        self.assertFalse(
            self.env["logistics.tms.release"].with_user(self.biller).has_access("read")
        )
        picking = self._planned(
            "LOAD-000077",
            {"currency": self.usd.name, "lines": [{"charge_type": "base_freight", "amount": 80.0}]},
        )
        batch = self.Batch.with_user(self.biller)._freight_import(
            self.endpoint, "load.csv", csv_bytes("CI-TB,2026-11-30,USD,LOAD-000077,,base,80,1,")
        )
        self.assertEqual(batch.state, "accepted", batch.errors)
        charge = batch.invoice_ids.charge_ids
        self.assertEqual((charge.picking_id, charge.state), (picking, "approved"))
        self.assertEqual(picking.sudo().freight_expected_id.source, "tms")
        bill = self.Charge.with_user(self.biller)._cron_settle()
        self.assertEqual((bill.amount_total, charge.move_id), (80.0, bill))
