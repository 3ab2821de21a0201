# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import BaseCase, tagged

from ..lib import audit, invoice_csv
from .common import csv_bytes


@tagged("post_install", "-at_install")
class TestFreightLib(BaseCase):
    def test_decide(self):
        rule = {"amount": 10.0, "percent": 5.0}
        self.assertEqual(audit.decide(104.0, 100.0, rule, False)[0], "approved")
        self.assertEqual(audit.decide(105.01, 100.0, rule, False)[0], "disputed")
        self.assertEqual(audit.decide(99.0, 100.0, None, False)[0], "approved")
        self.assertEqual(audit.decide(100.01, 100.0, None, False)[0], "disputed")
        self.assertEqual(audit.decide(1000.0, 1000.0 - 20, {"percent": 5.0}, False)[0], "approved")
        self.assertEqual(
            audit.decide(30.0, None, None, True),
            ("disputed", "accessorial not in the expected cost"),
        )
        self.assertEqual(audit.decide(30.0, None, {"allow_accessorial": True}, True)[0], "approved")
        self.assertEqual(
            audit.decide(30.0, None, {"allow_accessorial": True}, False)[0], "disputed"
        )

    def test_decide_without_an_expected_line_follows_the_types_rule(self):
        fuel = {"charge_type_id": 7, "amount": 2.0}
        self.assertEqual(audit.decide(2.0, None, fuel, False)[0], "approved")
        self.assertEqual(audit.decide(2.004, None, fuel, False)[0], "approved")
        self.assertEqual(audit.decide(2.01, None, fuel, False)[0], "disputed")
        # a rule for every type does not cover a type the expected cost lacks
        self.assertEqual(audit.decide(1.0, None, {"amount": 10.0}, False)[0], "disputed")
        self.assertEqual(audit.decide(1.0, None, None, False)[0], "disputed")
        # a credit line is approved whatever the expected cost says, accessorial or not
        self.assertEqual(audit.decide(-25.0, None, None, True)[0], "approved")
        self.assertEqual(audit.decide(-25.0, 10.0, None, False)[0], "approved")
        # 0 decimals (JPY): half a yen is the rounding, not half a cent
        self.assertEqual(audit.decide(1000.4, 1000.0, None, False, rounding=1)[0], "approved")
        self.assertEqual(audit.decide(1001.0, 1000.0, None, False, rounding=1)[0], "disputed")

    def test_best_rule_prefers_the_most_specific(self):
        general = {"id": 1}
        carrier = {"id": 2, "partner_id": 7}
        lane = {"id": 3, "partner_id": 7, "origin_country_id": 1, "dest_country_id": 2}
        rules = [general, carrier, lane]
        self.assertEqual(audit.best_rule(rules, 7, 1, 1, 2), lane)
        self.assertEqual(audit.best_rule(rules, 7, 1, 1, 3), carrier)
        self.assertEqual(audit.best_rule(rules, 8, 1, 1, 2), general)
        self.assertIsNone(audit.best_rule([carrier], 8, 1, 1, 2))

    def test_merge_distributions(self):
        merged = audit.merge_distributions([({"1": 100.0}, 30.0), ({"2": 100.0}, 10.0), ({}, 50.0)])
        self.assertEqual(merged, {"1": 75.0, "2": 25.0})

    def test_parse(self):
        invoices, count, errors = invoice_csv.parse(
            csv_bytes("A,2026-11-30,USD,R1,,base,10.5,2,x", "A,2026-11-30,USD,,T9,fuel,1,,"),
            {"base", "fuel"},
            {"USD"},
        )
        self.assertEqual((count, errors), (2, []))
        self.assertEqual([line["shipment_ref"] for line in invoices["A"]["lines"]], ["R1", "T9"])
        self.assertEqual(invoices["A"]["lines"][1]["quantity"], 1.0)
        _inv, _count, errors = invoice_csv.parse(
            csv_bytes("A,2026-11-31,usd,,,base,x,0,"), {"base"}, {"USD"}
        )
        self.assertEqual(
            [(e["line"], e["column"]) for e in errors],
            [(2, "shipment_ref"), (2, "invoice_date"), (2, "amount"), (2, "quantity")],
        )
        _inv, _count, errors = invoice_csv.parse(b"a,b\n1,2\n", {"base"}, {"USD"})
        self.assertEqual(
            {e["column"] for e in errors},
            {"invoice_number", "invoice_date", "currency", "charge_type", "amount"},
        )
