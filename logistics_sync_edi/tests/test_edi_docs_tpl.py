# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL speaking X12: its shipping orders go out as 940s, its 945s are applied by the
3PL addon's shipping confirmation code (short pick -> backorder, lots, packages,
refusals as dead letters, never twice), as the stock user who causes them; ASNs to a
customer speaking X12 go out as 856s."""

from odoo.tests import TransactionCase, tagged

from .docs_common import EdiDocsCommon, x12_file
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestEdiDocsTpl(EdiDocsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl_edi()

    def _released(self, lines):
        with trap_jobs() as trap:
            picking = self._delivery(lines)
            self._run_jobs(trap)
        release = picking.sudo().tpl_release_id
        self.assertEqual(release.state, "sent", release.block_reason or release.last_error)
        return picking, release

    def _945(self, release, rows, reporting="P", total=None, control="000000731", extra=()):
        """A 945 for ``release``: ``rows`` of (sku, shipped, lot, sscc)."""
        moves = {m.product_id.default_code: m for m in release.picking_id.move_ids}
        body = [
            f"W06*{reporting}*{release.name}*20261207*SHP-55021",
            "N1*ST*Customer Ltd",
            f"N9*VR*{release.sent_version}",
            "N9*CN*1Z999AA10123456784",
            "G62*11*20261207*8*1615",
            "W27*M*UPSN*UPS Ground",
            *extra,
        ]
        for number, (sku, shipped, lot, sscc) in enumerate(rows, 1):
            move = moves.get(sku)
            ordered = move.product_uom_qty if move else shipped
            body.append(f"LX*{number}")
            if sscc:
                body.append(f"MAN*GM*00{sscc}")
            status = "CC" if shipped == ordered else "CP"
            body.append(
                f"W12*{status}*{ordered:g}*{shipped:g}**EA**SK*{sku}*{lot or ''}".rstrip("*")
            )
            if move:
                body.append(f"N9*LI*{move.id}")
        body.append(f"W03*{total if total is not None else sum(r[1] for r in rows):g}")
        return x12_file("SW", "945", body, control=control)

    def _receive(self, data, name="945.x12"):
        """The file channel's job hands the file over (as the cron's user: the pipeline)."""
        return self.Exchange._edi_receive(self.tpl, data, name)

    def _ship_to_california(self):
        self.customer.write(
            {
                "street": "77 Santa Barbara Rd",
                "city": "Pleasant Hill",
                "zip": "94523",
                "country_id": self.env.ref("base.us").id,
                "state_id": self.env.ref("base.state_us_5").id,
            }
        )

    def test_940_out_then_945_short_pick_leaves_a_backorder(self):
        self._ship_to_california()
        picking, release = self._released([(self.product, 5), (self.lot_product, 2)])
        (order,) = self._out(release, "940")
        text = self._text(order)
        self.assertIn(f"W05*N*{release.name}", text)
        # the ship-to's state travels (N4-02): a 3PL cannot label a US address without it
        self.assertIn("N3*77 Santa Barbara Rd~\nN4*Pleasant Hill*CA*94523*US~", text)
        moves = picking.move_ids.sorted("id")
        self.assertIn(f"W01*5*EA**SK*WIDGET~\nG69*{self.product.display_name}", text)
        self.assertIn(f"N9*LI*{moves[0].id}~", text)
        self.assertIn("W76*7~", text)
        self.assertEqual(order.state, "processed", "sent once its file is uploaded")
        sent = self.env["logistics.file"].search(
            [("res_model", "=", order._name), ("res_id", "=", order.id)]
        )
        self.assertEqual((sent.direction, sent.state), ("out", "pending"))
        # the 3PL ships 3 of 5 widgets in one package and the 2 lot-tracked tins in another
        data = self._945(
            release,
            [
                ("WIDGET", 3, None, "354123450000000014"),
                ("PAINT", 2, "LOT-A", "354123450000000021"),
            ],
        )
        exchange = self._receive(data)
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(
            (exchange.doc_type, exchange.res_model, exchange.res_id),
            ("945", "logistics.event", exchange.res_id),
        )
        event = self.env["logistics.event"].browse(exchange.res_id)
        self.assertEqual((event.event_type, event.state), ("tpl_shipping_confirmation", "applied"))
        self.assertEqual(picking.state, "done")
        done = {
            (
                ml.product_id.default_code,
                ml.quantity,
                ml.lot_id.name or "",
                ml.result_package_id.name,
            )
            for ml in picking.move_line_ids
        }
        self.assertEqual(
            done,
            {
                ("WIDGET", 3.0, "", "354123450000000014"),
                ("PAINT", 2.0, "LOT-A", "354123450000000021"),
            },
        )
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.mapped("product_uom_qty"), [2.0])
        self.assertEqual(picking.carrier_tracking_ref, "1Z999AA10123456784")
        self.assertEqual(release.state, "confirmed")
        # the stock user sees the outcome on the transfers
        mine = picking.with_user(self.stock_user)
        self.assertEqual(mine.state, "done")
        self.assertEqual(mine.backorder_ids.move_ids.mapped("product_uom_qty"), [2.0])
        # the 997 answers the 945
        self.assertEqual(exchange.ack_exchange_id.doc_type, "997")

    def test_945_final_cancels_the_rest_and_twice_is_not_applied_twice(self):
        picking, release = self._released([(self.product, 5)])
        data = self._945(release, [("WIDGET", 4, None, None)], reporting="F")
        first = self._receive(data)
        self.assertEqual(first.state, "processed", first.error_summary)
        self.assertFalse(picking.backorder_ids)
        # the same file again: a duplicate interchange, refused
        again = self._receive(data, "945-again.x12")
        self.assertEqual(again.state, "error")
        self.assertIn("received already", again.error_summary)
        # the same confirmation in a new interchange: superseded, nothing written twice
        resent = self._receive(
            self._945(release, [("WIDGET", 4, None, None)], reporting="F", control="000000732")
        )
        self.assertEqual(resent.state, "processed", resent.error_summary)
        self.assertEqual(self.env["logistics.event"].browse(resent.res_id).state, "superseded")
        self.assertEqual(len(picking.move_line_ids), 1)
        self.assertEqual(picking.move_line_ids.quantity, 4.0)

    def test_945_product_not_on_the_document_is_a_dead_letter_and_an_error(self):
        picking, release = self._released([(self.product, 5)])
        exchange = self._receive(
            self._945(release, [("WIDGET", 2, None, None), ("NOPE", 1, None, None)])
        )
        self.assertEqual(exchange.state, "error")
        self.assertIn("product NOPE is not on this document", exchange.error_summary)
        self.assertIn("dead letter", exchange.error_summary)
        error = exchange.error_ids.filtered(lambda e: e.level == "application")
        self.assertEqual((error.segment_id, error.position), ("W06", 4))
        event = self.env["logistics.event"].browse(exchange.res_id)
        self.assertEqual(event.state, "dead")
        # nothing applied in part
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(picking.move_line_ids.filtered("picked"))
        self.assertEqual(release.state, "sent")

    def test_945_unknown_document_and_wrong_total(self):
        _picking, release = self._released([(self.product, 5)])
        unknown = self._945(release, [("WIDGET", 2, None, None)]).replace(
            release.name.encode(), b"X3PL/OUT/99999"
        )
        exchange = self._receive(unknown)
        self.assertEqual(exchange.state, "error")
        self.assertIn("X3PL/OUT/99999", exchange.error_summary)
        # W03 says 6, the lines hold 2: refused at the W03, no event stored
        events = self.env["logistics.event"].search_count([("endpoint_id", "=", self.tpl.id)])
        wrong = self._receive(
            self._945(release, [("WIDGET", 2, None, None)], total=6, control="000000733")
        )
        self.assertEqual(wrong.state, "error")
        error = wrong.error_ids.filtered(lambda e: e.level == "application")
        self.assertEqual(error.segment_id, "W03")
        self.assertIn("W03-01 says 6 units shipped, the W12 lines hold 2", error.message)
        self.assertEqual(
            self.env["logistics.event"].search_count([("endpoint_id", "=", self.tpl.id)]), events
        )
        self.assertEqual(release.state, "sent")

    def test_940_change_and_cancel(self):
        picking, release = self._released([(self.product, 5)])
        with trap_jobs() as trap:
            picking.move_ids.with_user(self.stock_user).product_uom_qty = 7
            self._run_jobs(trap)
        with trap_jobs() as trap:
            picking.with_user(self.stock_user).action_cancel()
            self._run_jobs(trap)
        statuses = [self._text(e).split("W05*")[1][0] for e in self._out(release, "940")]
        self.assertEqual(statuses, ["N", "R", "F"])
        self.assertIn("W01*7*EA**SK*WIDGET", self._text(self._out(release, "940")[1]))
        self.assertEqual(release.state, "cancelled")

    def test_940_unit_without_code_is_refused_with_an_activity(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        dozen.name = "Crates"  # no X12 unit code for it
        with trap_jobs() as trap:
            picking = self._delivery([(self.product, 1)])
            picking.move_ids.product_uom = dozen
            self._run_jobs(trap)
        release = picking.sudo().tpl_release_id
        self.assertTrue(release.exception)
        self.assertIn("the unit 'Crates' has no X12 unit code", release.exception_reason)
        self.assertFalse(self._out(release, "940"))

    def test_856_to_a_customer_speaking_x12(self):
        edi = self.env["logistics.endpoint"].create(
            self._edi_partner_values(
                "Customer EDI (X12)",
                "cust-x12",
                "edi",
                edi_isa_id_partner="CUSTOMER",
                edi_gs_code_partner="CUSTOMER",
            )
        )
        self.customer.write({"tpl_requires_asn": True, "tpl_asn_endpoint_id": edi.id})
        self._ship_to_california()
        picking, release = self._released([(self.product, 2)])
        with trap_jobs() as trap:
            exchange = self._receive(
                self._945(release, [("WIDGET", 2, None, "354123450000000014")])
            )
            self._run_jobs(trap)
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        notice = self.env["logistics.tpl.asn"].search([("picking_id", "=", picking.id)])
        self.assertEqual(notice.state, "sent", notice.last_error)
        (asn,) = self._out(notice, "856")
        text = self._text(asn)
        self.assertIn(f"BSN*00*{picking.name}*", text)
        self.assertIn("MAN*GM*00354123450000000014~", text)
        self.assertIn("SN1**2*EA~", text)
        # the notice carries the delivery address, its state included (N4-02)
        self.assertIn("N3*77 Santa Barbara Rd~\nN4*Pleasant Hill*CA*94523*US~", text)
        self.assertEqual(asn.endpoint_id, edi)
