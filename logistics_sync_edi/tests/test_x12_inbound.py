# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Received X12 files: 214s into the event pipeline, 997/TA1 answers, bad input."""

from pathlib import Path

import polib

from odoo import sql_db
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import EdiCommon
from odoo.addons.logistics_sync_base.lib.locks import SnapshotConflict
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestX12Inbound(EdiCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_edi()

    def test_two_sets_feed_the_pipeline_and_the_997_accepts_both(self):
        exchange = self._receive("214_two_sets.edi")
        self.assertEqual(len(exchange), 1)
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(
            (exchange.doc_type, exchange.interchange_control, exchange.group_control),
            ("214", "000000101", "101"),
        )
        self.assertEqual((exchange.set_control, exchange.set_count), ("0001", 2))
        self.assertEqual(exchange.sender, "02/RDWY")
        events = self._events(exchange)
        self.assertEqual(
            [(e.external_id, e.shipment_ref, e.milestone, e.source_status) for e in events],
            [
                ("x12/000000101/101/1/1.1", "EDI/OUT/00001", "carrier_assigned", "X3/NS"),
                ("x12/000000101/101/1/2.1", "EDI/OUT/00001", "picked_up", "AF/NS"),
                ("x12/000000101/101/2/1.1", "EDI/OUT/00002", "out_for_delivery", "X1/NS"),
                ("x12/000000101/101/2/2.1", "EDI/OUT/00002", "delivered", "D1/NS"),
            ],
        )
        self.assertEqual(exchange.event_count, 4)
        # 09:15 Eastern time (EST in November) is 14:15 UTC; the carrier and PRO kept
        picked = events[1]
        self.assertEqual(str(picked.occurred_at), "2026-11-26 14:15:00")
        self.assertEqual((picked.carrier_code, picked.tracking_ref), ("RDWY", "PRO4471190"))
        self.assertEqual((picked.location_city, picked.location_country_code), ("Columbus", "US"))
        self._process_pending(self.partner)
        self.assertEqual(self.pickings[0].logistics_milestone, "picked_up")
        # delivered before the dispatch is registered: waits (the pipeline's gating)
        self.assertEqual(events[3].state, "waiting")
        # the 997: one per group, both sets accepted
        ack = exchange.ack_exchange_id
        self.assertEqual((ack.direction, ack.doc_type, exchange.ack_status), ("out", "997", "sent"))
        self.assertFalse(ack.ack_status, "a 997 is never acknowledged")
        interchange, segments = self._segments(ack)
        self.assertEqual((interchange.sender_id, interchange.receiver_id), ("123456789", "RDWY"))
        self.assertEqual(interchange.groups[0].functional_id, "FA")
        self.assertEqual(
            segments[1:-1],
            [
                ["AK1", "QM", "101"],
                ["AK2", "214", "0001"],
                ["AK5", "A"],
                ["AK2", "214", "0002"],
                ["AK5", "A"],
                ["AK9", "A", "2", "2", "2"],
            ],
        )

    def test_an_interchange_queues_one_processing_job_not_one_per_set(self):
        with trap_jobs() as trap:
            exchange = self._receive("214_two_sets.edi")
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(len(self._events(exchange)), 4)
        processing = [
            job for job in trap.enqueued_jobs if job.method_name == "_job_process_pending"
        ]
        self.assertEqual(len(processing), 1, "one job for the interchange's two sets")
        self.assertEqual(processing[0].recordset, self.partner)
        processing[0].perform()  # that job applies every set's events
        self.assertEqual(
            self._events(exchange).mapped("state"), ["applied", "applied", "applied", "waiting"]
        )

    def test_the_same_interchange_again_is_refused_as_a_duplicate(self):
        first = self._receive("214_two_sets.edi")
        before = self.env["logistics.event"].search_count([])
        second = self._receive("214_two_sets.edi")
        self.assertEqual(second.state, "error")
        self.assertEqual(second.duplicate_of_id, first)
        self.assertEqual(self._errors(second), [("interchange", 1, "ISA", 13, "025")])
        self.assertIn("received already", second.error_ids.message)
        self.assertEqual(self.env["logistics.event"].search_count([]), before)
        ta1 = second.ack_exchange_id
        self.assertEqual(ta1.doc_type, "TA1")
        self.assertIn(b"TA1*000000101*261126*0930*R*025~", ta1.attachment_id.raw)
        # reprocessing the original applies nothing twice and sends no second 997
        acks = self.Exchange.search_count([("doc_type", "=", "997")])
        first.action_reprocess()
        self.assertEqual(first.state, "processed")
        self.assertEqual(self.env["logistics.event"].search_count([]), before)
        self.assertEqual(self.Exchange.search_count([("doc_type", "=", "997")]), acks)

    def test_two_interchanges_in_one_file_with_other_separators(self):
        odfl = self.env["logistics.endpoint"].create(
            {
                "name": "ODFL (X12)",
                "code": "odfl-x12",
                "edi_isa_qualifier_partner": "02",
                "edi_isa_id_partner": "ODFL",
                "edi_isa_qualifier_own": "ZZ",
                "edi_isa_id_own": "WIDGETSMFG",
                "edi_usage": "P",
            }
        )
        odfl.action_edi_load_standard_codes()
        exchanges = self._receive("214_two_interchanges_pipe.edi", endpoint=odfl)
        self.assertEqual(exchanges.mapped("interchange_control"), ["000004001", "000004002"])
        self.assertEqual(set(exchanges.mapped("state")), {"processed"})
        self.assertEqual(exchanges.mapped("position_first"), [1, 11])
        milestones = [self._events(e).milestone for e in exchanges]
        self.assertEqual(milestones, ["in_transit", "out_for_delivery"])
        # LT: the partner's local zone (UTC here)
        self.assertEqual(str(self._events(exchanges[1]).occurred_at), "2026-11-27 11:30:00")

    def test_not_x12_and_truncated_files_are_errors_with_their_position(self):
        for name, position, segment, words in (
            ("not_x12.csv", 1, False, "not an X12 file"),
            ("214_truncated.edi", 6, "AT7", "truncated"),
        ):
            exchange = self._receive(name)
            self.assertEqual(exchange.state, "error")
            self.assertEqual(exchange.doc_type, "unknown")
            self.assertEqual(self._errors(exchange)[0][:3], ("file", position, segment))
            self.assertIn(words, exchange.error_ids.message)
            self.assertEqual(exchange.attachment_id.raw, self._file(name))
            self.assertFalse(exchange.ack_exchange_id)
        self.assertFalse(
            self.env["logistics.event"].search([("endpoint_id", "=", self.partner.id)])
        )

    def test_wrong_se01_and_ge01_reject_the_sets_in_the_997_and_apply_nothing(self):
        exchange = self._receive("214_bad_counts.edi")
        self.assertEqual(exchange.state, "error")
        self.assertEqual(
            self._errors(exchange),
            [
                ("set", 7, "SE", 1, "4"),
                ("set", 12, "SE", 2, "3"),
                ("group", 13, "GE", 1, "5"),
            ],
        )
        self.assertIn("SE01 says '9' segments", exchange.error_summary)
        self.assertFalse(self._events(exchange))
        (group,) = self._acks(exchange.ack_exchange_id)
        self.assertEqual(group["status"], "rejected")
        self.assertEqual(
            [(s["control"], s["status"]) for s in group["sets"]],
            [("0001", "rejected"), ("0002", "rejected")],
        )
        self.assertIn("number of included transaction sets", group["errors"][0])

    def test_envelope_errors_answer_a_ta1_and_apply_nothing(self):
        for name, expected, code in (
            ("214_bad_iea.edi", [(9, "IEA", 2, "001"), (9, "IEA", 1, "021")], "001"),
            ("214_unknown_qualifier.edi", [(1, "ISA", 5, "005")], "005"),
        ):
            exchange = self._receive(name)
            self.assertEqual(exchange.state, "error")
            self.assertEqual([e[1:] for e in self._errors(exchange)], expected)
            self.assertFalse(self._events(exchange))
            self.assertEqual(exchange.ack_exchange_id.doc_type, "TA1")
            self.assertIn(f"*R*{code}~".encode(), exchange.ack_exchange_id.attachment_id.raw)

    def test_another_sender_or_usage_is_refused(self):
        self.partner.edi_isa_id_partner = "ODFL"
        exchange = self._receive("214_two_sets.edi")
        self.assertEqual([e[1:] for e in self._errors(exchange)], [(1, "ISA", 6, "006")])
        self.assertIn("02/RDWY", exchange.error_ids.message)
        self.partner.edi_isa_id_partner = "RDWY"
        self.partner.edi_usage = "P"
        again = self.Exchange.browse(exchange.id)
        again.action_reprocess()
        self.assertEqual([e[1:] for e in self._errors(again)], [(1, "ISA", 15, "020")])
        self.assertFalse(self._events(again))

    def test_segment_and_element_errors_reject_those_sets_only(self):
        exchange = self._receive("214_segment_errors.edi")
        self.assertEqual(exchange.state, "error")
        self.assertEqual(
            self._errors(exchange),
            [
                ("segment", 9, "B10", 0, "8"),
                ("element", 9, "B10", 3, "1"),
                ("segment", 11, "AT7", 0, "8"),
                ("element", 11, "AT7", 5, "8"),
                ("element", 11, "AT7", 6, "9"),
                ("segment", 14, "B10", 0, "3"),
                ("segment", 16, "B10", 0, "2"),
            ],
        )
        # the valid first set is applied, the two others not at all
        self.assertEqual(self._events(exchange).mapped("external_id"), ["x12/000000106/106/1/1.1"])
        interchange, segments = self._segments(exchange.ack_exchange_id)
        self.assertIn(["AK3", "AT7", "4", "", "8"], segments)
        self.assertIn(["AK4", "5", "", "8", "20261341"], segments)
        self.assertIn(["AK3", "B10", "2", "", "3"], segments)
        self.assertEqual(segments[-2], ["AK9", "P", "3", "3", "1"])

    def test_unknown_shipment_is_an_error_at_its_b10_and_applies_nothing_of_its_set(self):
        exchange = self._receive("214_unknown_shipment.edi")
        self.assertEqual(exchange.state, "error")
        self.assertEqual(self._errors(exchange), [("application", 9, "B10", 2, False)])
        self.assertIn("Unknown shipment 'NO-SUCH-BOL-77'", exchange.error_ids.message)
        # a message users read is translatable: in the addon's template, not an f-string
        pot = Path(__file__).resolve().parent.parent / "i18n" / "logistics_sync_edi.pot"
        self.assertTrue(
            any(
                entry.msgid.startswith("Unknown shipment %(shipment)r (carrier reference")
                for entry in polib.pofile(str(pot))
            )
        )
        self.assertEqual(exchange.error_ids.set_control, "0002")
        events = self._events(exchange)
        self.assertEqual(events.mapped("external_id"), ["x12/000000107/107/1/1.1"])
        # valid X12: the 997 accepts both sets (application errors are not a 997's)
        (group,) = self._acks(exchange.ack_exchange_id)
        self.assertEqual(group["status"], "accepted")
        # the transfer appears: reprocessing applies the second set, the first once
        self._make_picking(name="NO-SUCH-BOL-77")
        exchange.action_reprocess()
        self.assertEqual(exchange.state, "processed")
        self.assertEqual(len(self._events(exchange)), 3)

    def test_a_status_code_missing_from_the_code_list_needs_no_code(self):
        self.partner.edi_code_ids.filtered(lambda c: c.partner_code == "X6").unlink()
        exchange = self._receive("214_unknown_shipment.edi")
        self.assertEqual(exchange.state, "error")
        first = exchange.error_ids[0]
        self.assertEqual((first.position, first.segment_id, first.element), (6, "AT7", 1))
        self.assertIn("'X6' is not in this partner's code list", first.message)
        self.assertFalse(self._events(exchange))
        # the partner's code means "arrived at hub" for us: a line in its table
        self.env["logistics.edi.code"].create(
            {
                "endpoint_id": self.partner.id,
                "list_name": "x12_214_status",
                "partner_code": "X6",
                "canonical_value": "in_transit",
            }
        )
        self._make_picking(name="NO-SUCH-BOL-77")
        exchange.action_reprocess()
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(
            self._events(exchange).mapped("milestone"), ["in_transit"] * 2 + ["delivered"]
        )

    def test_inventory_user_validating_applies_the_waiting_delivery(self):
        """The delivered status of a 214 waits for the dispatch; a stock user in no
        Logistics Sync group validates the transfer and it is applied."""
        exchange = self._receive("214_two_sets.edi")
        self._process_pending(self.partner)
        delivered = self._events(exchange)[3]
        self.assertEqual(delivered.state, "waiting")
        clerk = new_test_user(self.env, login="edi_clerk", groups="stock.group_stock_user")
        picking = self.pickings[1].with_user(clerk)
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        with trap_jobs() as trap:
            picking.action_assign()
            picking.move_ids.quantity = 1
            picking.move_ids.picked = True
            picking.button_validate()
            trap.perform_enqueued_jobs()
        self.assertEqual(picking.state, "done")
        self.assertEqual(delivered.state, "applied")
        self.assertEqual(self.pickings[1].logistics_milestone, "delivered")
        # exchanges are for the sync's users: the clerk reads none, a sync user does
        with self.assertRaises(AccessError):
            exchange.with_user(clerk).read(["state"])
        self.assertEqual(
            exchange.with_user(self.responsible).read(["state"])[0]["state"], "processed"
        )
        with self.assertRaises(AccessError):
            exchange.with_user(self.responsible).action_reprocess()

    def test_the_same_isa13_recorded_meanwhile_by_another_job_is_a_conflict_not_a_crash(self):
        """Two jobs receive the same interchange at once: the other one commits
        first (here: a second connection records it after this transaction's
        snapshot). This one's insert meets the unique index: a SnapshotConflict
        (run_job retries the job in a new transaction, which sees the other exchange
        and records this one as its duplicate with a TA1), never a
        UniqueViolation failing the file; nothing of this attempt is kept."""
        endpoint = self.env.ref("logistics_sync_base.demo_endpoint_carrier")
        self.env["logistics.event"].search_count([])  # this transaction's snapshot
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(other.close)
        other.execute(
            "INSERT INTO logistics_edi_exchange (endpoint_id, direction, standard, doc_type,"
            " state, interchange_control) VALUES (%s, 'in', 'x12', '214', 'processed',"
            " '000000101') RETURNING id",
            [endpoint.id],
        )
        other_id = other.fetchone()[0]
        other.commit()

        def forget():
            other.execute("DELETE FROM logistics_edi_exchange WHERE id = %s", [other_id])
            other.commit()

        self.addCleanup(forget)
        endpoint.write(
            {
                "edi_isa_qualifier_partner": "02",
                "edi_isa_id_partner": "RDWY",
                "edi_isa_qualifier_own": "01",
                "edi_isa_id_own": "123456789",
            }
        )
        before = self.Exchange.search_count([])
        with mute_logger("odoo.sql_db"), self.assertRaises(SnapshotConflict):
            self._receive("214_two_sets.edi", endpoint=endpoint)
        self.assertEqual(self.Exchange.search_count([]), before, "nothing kept")
