# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Suppliers' advance ship notices (``tpl_inbound_asn``) sent by the 3PL
simulator playing the supplier, through base's pipeline: attached to the
supplier's open receipt of the order, shown on it to an Inventory / User in no
Logistics Sync group, its lots used when that user validates; refused whole as a
dead letter with the reason, nothing attached."""

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged

from ..lib import sscc
from .common import TplCommon

EXPECTED = "2026-12-20T08:00:00Z"


@tagged("post_install", "-at_install")
class TestInboundAsn(TplCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl()
        cls.supplier_edi = cls.env["logistics.endpoint"].create(
            {
                "name": "Supplier EDI",
                "code": "test-supplier-edi",
                "kind": "edi",
                "responsible_user_id": cls.responsible.id,
            }
        )
        cls.supplier.tpl_asn_endpoint_id = cls.supplier_edi
        cls.main = cls.env.ref("stock.warehouse0")

    def _receipt_of(self, origin, lines, partner=None):
        """A confirmed receipt of the main warehouse (no 3PL), made by the stock user."""
        env = self.env(user=self.stock_user)
        dest = self.main.lot_stock_id
        picking = env["stock.picking"].create(
            {
                "picking_type_id": self.main.in_type_id.id,
                "partner_id": (partner or self.supplier).id,
                "origin": origin,
                "location_id": self.suppliers.id,
                "location_dest_id": dest.id,
                "scheduled_date": fields.Datetime.now(),
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": self.suppliers.id,
                            "location_dest_id": dest.id,
                        }
                    )
                    for product, qty in lines
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _notice(self, order_ref, lines, **extra):
        """The supplier's notice, as the simulator sends it."""
        body = {"order_ref": order_ref, "lines": lines, "expected_at": EXPECTED}
        return dict(self.sim.post("/_sim/inbound_asn", body)["event"], **extra)

    def _attach(self, event, endpoint=None):
        stored = self._ingest(event, endpoint=endpoint or self.supplier_edi)
        self._process_pending(endpoint or self.supplier_edi)
        stored.invalidate_recordset()
        return stored

    def _state(self, receipt):
        """What a refusal must leave alone."""
        receipt.invalidate_recordset()
        return (
            receipt.state,
            str(receipt.scheduled_date),
            sorted(
                (ml.product_id.id, ml.quantity, ml.lot_name or "") for ml in receipt.move_line_ids
            ),
            self.env["logistics.tpl.inbound.asn"].search_count([]),
            self.env["logistics.tpl.inbound.asn.line"].search_count([]),
        )

    def _refused(self, receipt, event, reason, endpoint=None):
        before = self._state(receipt)
        stored = self._attach(event, endpoint)
        self.assertEqual(stored.state, "dead", stored.last_error)
        self.assertIn(reason, stored.last_error)
        self.assertEqual(self._state(receipt), before)
        return stored

    def test_notice_attached_shown_and_used_at_validation(self):
        receipt = self._receipt_of(
            "PO0001", [(self.product, 4), (self.lot_product, 3), (self.serial_product, 2)]
        )
        event = self._notice(
            "PO0001",
            [
                {"sku": "WIDGET", "quantity": 4},
                {"sku": "PAINT", "quantity": 3, "tracking": "lot"},
                {"sku": "DRILL", "quantity": 2, "tracking": "serial"},
            ],
        )
        stored = self._attach(event)
        self.assertEqual(stored.state, "applied", stored.last_error)
        self.assertEqual(stored.picking_id, receipt)
        # what the Inventory / User sees on the receipt
        seen = receipt.with_user(self.stock_user)
        seen.invalidate_recordset()
        asn = seen.tpl_inbound_asn_id
        self.assertEqual(asn.name, event["asn_id"])
        self.assertEqual(asn.partner_id, self.supplier)
        self.assertEqual(asn.order_ref, "PO0001")
        self.assertEqual(asn.package_count, 1)
        self.assertEqual(str(seen.tpl_asn_expected_date), "2026-12-20 08:00:00")
        self.assertEqual(str(seen.scheduled_date), "2026-12-20 08:00:00")
        rows = sorted(
            (line.product_id.default_code, line.quantity, bool(line.lot_name), line.sscc)
            for line in seen.tpl_inbound_asn_line_ids
        )
        code = event["packages"][0]["sscc"]
        self.assertEqual(
            rows,
            [
                ("DRILL", 1.0, True, code),
                ("DRILL", 1.0, True, code),
                ("PAINT", 3.0, True, code),
                ("WIDGET", 4.0, False, code),
            ],
        )
        self.assertTrue(
            all(line.expiry_date for line in seen.tpl_inbound_asn_line_ids.filtered("lot_name"))
        )
        announced = {row["lot"] for row in event["lines"] if row.get("lot")}
        self.assertEqual(set(seen.move_line_ids.mapped("lot_name")) - {False}, announced)
        self.assertIn(event["asn_id"], receipt.message_ids[:1].body)
        # the same notice again (another event id): nothing changes
        again = self._attach(dict(event, event_id="sup-asn-again"))
        self.assertEqual(again.state, "superseded")
        self.assertEqual(len(receipt.move_line_ids), 4)
        # the stock user validates: the announced lots and serial numbers are created
        self.assertIs(seen.button_validate(), True)
        self.assertEqual(receipt.state, "done")
        lots = self.env["stock.lot"].search([("name", "in", list(announced))])
        self.assertEqual(len(lots), 3)
        stock = self.main.lot_stock_id
        paint = lots.filtered(lambda lot: lot.product_id == self.lot_product)
        self.assertEqual(
            self.lot_product.with_context(location=stock.id, lot_id=paint.id).qty_available, 3
        )
        # a notice for a received order: refused
        late = self._notice("PO0001", [{"sku": "WIDGET", "quantity": 1}])
        stored = self._attach(late)
        self.assertEqual(stored.state, "dead")
        self.assertIn("received or cancelled already", stored.last_error)

    def test_later_notice_replaces_the_earlier(self):
        receipt = self._receipt_of("PO0002", [(self.product, 5), (self.lot_product, 4)])
        first = self._attach(
            self._notice(
                "PO0002",
                [
                    {"sku": "WIDGET", "quantity": 5},
                    {"sku": "PAINT", "quantity": 4, "tracking": "lot"},
                ],
            )
        )
        self.assertEqual(first.state, "applied", first.last_error)
        second_event = self._notice("PO0002", [{"sku": "WIDGET", "quantity": 2}])
        second = self._attach(second_event)
        self.assertEqual(second.state, "applied", second.last_error)
        asns = self.env["logistics.tpl.inbound.asn"].search([("picking_id", "=", receipt.id)])
        self.assertEqual(len(asns), 1)
        self.assertEqual(asns.name, second_event["asn_id"])
        self.assertEqual(asns.line_ids.mapped("quantity"), [2.0])
        widget_lines = receipt.move_line_ids.filtered(lambda ml: ml.product_id == self.product)
        self.assertEqual(widget_lines.mapped("quantity"), [2.0])

    def test_refusals_attach_nothing(self):
        receipt = self._receipt_of("PO0003", [(self.product, 5), (self.lot_product, 2)])
        good = {"sku": "WIDGET", "quantity": 5}
        # another supplier's receipt of the same order reference is never matched
        other = self.env["res.partner"].create({"name": "Other supplier"})
        self._receipt_of("PO0004", [(self.product, 5)], partner=other)
        cases = [
            (self._notice("PO-NOPE", [good]), "no open receipt of purchase order PO-NOPE"),
            (self._notice("PO0004", [good]), "no open receipt of purchase order PO0004"),
            (
                self._notice("PO0003", [good, {"sku": "NOPE", "quantity": 1}]),
                "product NOPE is not on this document",
            ),
            (
                self._notice("PO0003", [{"sku": "WIDGET", "quantity": 6}]),
                "quantity over ordered of WIDGET: 6 announced, 5 ordered",
            ),
            (
                self._notice("PO0003", [good, {"sku": "WIDGET", "quantity": -1}]),
                "negative quantity -1",
            ),
        ]
        lot_on_untracked = self._notice("PO0003", [good])
        lot_on_untracked["lines"][0]["lot"] = "L-X"
        cases.append((lot_on_untracked, "lot L-X given for a product tracked by neither"))
        bad_sscc = self._notice("PO0003", [good])
        wrong = bad_sscc["packages"][0]["sscc"][:17] + str(
            (int(bad_sscc["packages"][0]["sscc"][17]) + 1) % 10
        )
        self.assertFalse(sscc.is_valid(wrong))
        bad_sscc["packages"][0]["sscc"] = wrong
        cases.append((bad_sscc, f"package {wrong} has no valid SSCC-18 check digit"))
        for event, reason in cases:
            with self.subTest(reason=reason):
                self._refused(receipt, event, reason)
        # signed by an endpoint no supplier sends with (the 3PL's): refused
        self._refused(
            receipt, self._notice("PO0003", [good]), "is no supplier's ASN endpoint", self.tpl
        )
