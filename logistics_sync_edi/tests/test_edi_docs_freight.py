# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""210 freight invoices received from a carrier speaking X12: stored, matched and
audited by the freight addon's code (the one its CSV import uses), as the Billing
user who works on them, in no Logistics Sync group; bad files store nothing."""

from odoo.tests import TransactionCase, tagged

from .docs_common import DATA
from odoo.addons.logistics_sync_freight.tests.common import FreightCommon


@tagged("post_install", "-at_install")
class TestEdiDocsFreight(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.endpoint.write(
            {
                "edi_isa_qualifier_partner": "02",
                "edi_isa_id_partner": "ODFL",
                "edi_isa_qualifier_own": "ZZ",
                "edi_isa_id_own": "ACMEMFG",
                "edi_usage": "P",
            }
        )
        cls.picking = cls._done_picking({cls.type_base: 112.5, cls.type_fuel: 23.0})
        cls.sample = (DATA / "210_004010_fuel_liftgate.x12").read_text()

    def _file(self, **replace):
        text = self.sample.replace("WH/OUT/00042", self.picking.name)
        for old, new in replace.items():
            text = text.replace(old, new)
        return text.encode()

    def _receive(self, data, name="210.x12"):
        """The file channel's job hands the file over (as the cron's user: the pipeline)."""
        return self.env["logistics.edi.exchange"]._edi_receive(self.endpoint, data, name)

    def _counts(self):
        return (
            self.env["logistics.freight.invoice"].search_count([]),
            self.Charge.search_count([]),
        )

    def test_210_becomes_a_carrier_invoice_matched_and_audited(self):
        exchange = self._receive(self._file())
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        invoice = self.env["logistics.freight.invoice"].browse(exchange.res_id)
        self.assertEqual((exchange.res_model, invoice.name), (invoice._name, "INV-88120"))
        self.assertEqual(invoice.amount_total, 145.5)
        self.assertEqual(invoice.partner_id, self.carrier)
        charges = self.Charge.search([("invoice_id", "=", invoice.id)], order="id")
        self.assertEqual(
            [(c.charge_type_id, c.amount, c.picking_id) for c in charges],
            [
                (self.type_base, 112.5, self.picking),
                (self.type_fuel, 23.0, self.picking),
                (self.type_liftgate, 10.0, self.picking),
            ],
        )
        self.assertEqual(charges[2].tracking_ref, "07731234567")
        # audited as an imported CSV charge is: expected ones approved, the liftgate
        # nobody expected is disputed
        self.assertEqual(charges[:2].mapped("state"), ["approved", "approved"])
        self.assertEqual(charges[2].state, "disputed")
        # the Billing user sees them
        self.assertEqual(
            self.Charge.with_user(self.biller).search_count([("invoice_id", "=", invoice.id)]), 3
        )

    def test_wrong_total_unknown_code_and_the_same_invoice_twice_store_nothing(self):
        before = self._counts()
        wrong = self._receive(self._file(**{"L3*230*G***14550~": "L3*230*G***14600~"}))
        self.assertEqual(wrong.state, "error")
        error = wrong.error_ids.filtered(lambda e: e.level == "application")
        self.assertEqual((error.segment_id, error.element, error.position), ("L3", 5, 20))
        self.assertIn("L3-05 says 146.00, the L1 charges add up to 145.50", error.message)
        unknown = self._receive(
            self._file(**{"****FUE~": "****ZZZ~", "000004411": "000004412"}), "b.x12"
        )
        self.assertEqual(unknown.state, "error")
        self.assertIn(
            "Charge code 'ZZZ' is not in the partner's charge code list", unknown.error_summary
        )
        self.assertEqual(self._counts(), before)
        first = self._receive(self._file(**{"000004411": "000004413"}), "c.x12")
        self.assertEqual(first.state, "processed", first.error_summary)
        after = self._counts()
        twice = self._receive(self._file(**{"000004411": "000004414"}), "d.x12")
        self.assertEqual(twice.state, "error")
        self.assertIn("Carrier invoice INV-88120 was already received", twice.error_summary)
        self.assertEqual(self._counts(), after)

    def test_partner_charge_codes_are_data(self):
        self.env["logistics.edi.code"].create(
            [
                {
                    "endpoint_id": self.endpoint.id,
                    "list_name": "x12_210_charge",
                    "partner_code": code,
                    "canonical_value": value,
                }
                for code, value in (("400", "base"), ("FSC", "fuel"), ("LFT", "liftgate"))
            ]
        )
        exchange = self._receive(self._file(**{"****FUE~": "****FSC~"}))
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        charges = self.Charge.search([("invoice_id", "=", exchange.res_id)], order="id")
        self.assertEqual(charges.mapped("charge_type_id.code"), ["base", "fuel", "liftgate"])
