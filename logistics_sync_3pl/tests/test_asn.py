# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Advance ship notices to customers flagged *Requires ASN*: sent once when the
delivery is done, with the 3PL's SSCCs, or SSCC-18 built from the company's GS1
prefix (valid check digit); nothing for other customers."""

import json

from jsonschema import Draft202012Validator

from odoo.tests import TransactionCase, tagged

from ..lib import documents, sscc
from .common import TplCommon
from odoo.addons.queue_job.tests.common import trap_jobs

SSCC = sscc.build("0614141", 42)


@tagged("post_install", "-at_install")
class TestAsn(TplCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl()
        cls.customer.write({"tpl_requires_asn": True, "tpl_asn_endpoint_id": cls.edi.id})
        cls.company.tpl_gs1_prefix = "0614141"
        with open(documents.SCHEMA_DIR + "/asn_v1.json", encoding="utf-8") as fh:
            cls.validator = Draft202012Validator(
                json.load(fh), format_checker=Draft202012Validator.FORMAT_CHECKER
            )

    def test_asn_after_3pl_shipment_carries_its_packages(self):
        self._put_stock(self.lot_product, 3)
        picking, _release = self._released([(self.lot_product, 3)])
        self.tpl.tpl_unknown_lots = "create"
        with trap_jobs() as trap:
            self._confirm(
                self._shipping(
                    picking,
                    [{"sku": "PAINT", "quantity": 3, "lot": "A-1", "package": SSCC}],
                    "asn-1",
                    packages=[{"sscc": SSCC, "tracking_ref": "TRK9", "carrier": "ups"}],
                )
            )
            self._run_jobs(trap)
        notice = self.env["logistics.tpl.asn"].search([("picking_id", "=", picking.id)])
        self.assertEqual(notice.state, "sent", notice.last_error)
        [sent] = self.sim.stats()["asns"]
        self.assertEqual(list(self.validator.iter_errors(sent)), [])
        self.assertEqual(sent["asn_id"], picking.name)
        self.assertEqual([p["sscc"] for p in sent["packages"]], [SSCC])
        self.assertEqual(
            [(line["sku"], line["quantity"], line["lot"], line["sscc"]) for line in sent["lines"]],
            [("PAINT", 3, "A-1", SSCC)],
        )
        self.assertEqual((sent["tracking_ref"], sent["carrier"]), ("TRK9", "ups"))

    def test_asn_builds_sscc_from_gs1_prefix(self):
        """A delivery validated in Odoo by the stock user (a warehouse of its own)."""
        picking = self._make_picking()
        picking.move_ids.product_id.default_code = "WIDGET"
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        picking.action_assign()
        picking.move_ids.write({"quantity": 1, "picked": True})
        with trap_jobs() as trap:
            picking.with_user(self.stock_user).button_validate()
            self._run_jobs(trap)
        self.assertEqual(picking.state, "done")
        notice = self.env["logistics.tpl.asn"].search([("picking_id", "=", picking.id)])
        self.assertEqual(notice.state, "sent", notice.last_error)
        [sent] = self.sim.stats()["asns"]
        [package] = sent["packages"]
        self.assertTrue(package["sscc"].startswith("00614141"))
        self.assertTrue(sscc.is_valid(package["sscc"]))
        self.assertEqual(list(self.validator.iter_errors(sent)), [])

    def test_no_asn_for_other_customers(self):
        self.customer.tpl_requires_asn = False
        self._put_stock(self.product, 1)
        picking, _release = self._released([(self.product, 1)])
        self._confirm(self._shipping(picking, [{"sku": "WIDGET", "quantity": 1}], "asn-3"))
        self.assertEqual(picking.state, "done")
        self.assertFalse(self.env["logistics.tpl.asn"].search([("picking_id", "=", picking.id)]))
