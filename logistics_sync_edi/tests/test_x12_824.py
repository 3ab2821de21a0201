# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""824 Application Advice out: a set our 997 accepts (valid X12) that cannot be
applied is rejected to the partner in an 824, one per interchange, opt-in per partner."""

import os
import shutil
import tempfile
from pathlib import Path

from odoo.tests import TransactionCase, tagged

from ..lib import advice824, x12, x12map
from . import test_x12_files
from .common import EdiCommon

MAP_824 = Path(__file__).resolve().parent.parent / "maps" / "824_004010.json"


@tagged("post_install", "-at_install")
class TestX12ApplicationAdvice(EdiCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_edi()
        cls.partner.edi_send_824 = True

    def _advices(self):
        return self.Exchange.search(
            [("endpoint_id", "=", self.partner.id), ("doc_type", "=", "824")]
        )

    def test_an_unknown_shipment_is_rejected_in_an_824_through_the_file_channel(self):
        """The file job (the cron's user) reads a 214 whose second set names an
        unknown shipment: the first set is applied, the 997 accepts both, and one 824
        rejecting the second set is uploaded to the partner's outbox."""
        inbox, outbox = tempfile.mkdtemp(), tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, inbox)
        self.addCleanup(shutil.rmtree, outbox)
        self.partner.write(
            {
                "file_transport": "folder",
                "file_format": "x12",
                "file_inbound_path": inbox,
                "file_outbound_path": outbox,
            }
        )
        # the folder channel's pick-up and jobs, as tests/test_x12_files.py runs them
        self.inbox, self.outbox = inbox, outbox
        test_x12_files.TestX12Files._drop(self, "214_unknown_shipment.edi")
        test_x12_files.TestX12Files._pickup_and_run(self)
        exchange = self.Exchange.search(
            [("endpoint_id", "=", self.partner.id), ("direction", "=", "in")]
        )
        self.assertEqual((exchange.state, exchange.file_id.state), ("error", "failed"))
        self.assertEqual(self._events(exchange).mapped("external_id"), ["x12/000000107/107/1/1.1"])
        (group,) = self._acks(exchange.ack_exchange_id)
        self.assertEqual(group["status"], "accepted")
        advice = exchange.advice_exchange_id
        self.assertEqual(advice, self._advices(), "one 824 for the interchange")
        self.assertEqual(
            (advice.direction, advice.doc_type, advice.state, advice.res_id),
            ("out", "824", "sent", exchange.id),
        )
        self.assertIn(advice.file_name, os.listdir(outbox))
        with open(os.path.join(outbox, advice.file_name), "rb") as handle:
            (interchange,) = x12.parse(handle.read())
        self.assertEqual(interchange.all_errors, [])
        self.assertEqual((interchange.sender_id, interchange.receiver_id), ("123456789", "RDWY"))
        (out_group,) = interchange.groups
        self.assertEqual(
            (out_group.functional_id, out_group.control),
            ("AG", str(int(advice.interchange_control))),
        )
        (transaction_set,) = out_group.sets
        self.assertEqual(transaction_set.set_id, "824")
        # our own engine reads it back with the 824 map, without an error
        values, errors = x12map.read_set(transaction_set, x12map.load_map(MAP_824))
        self.assertEqual([str(e) for e in errors], [])
        self.assertEqual(values["BGN"]["purpose"], "00")
        self.assertEqual(values["BGN"]["reference"], "000000107")
        (oti,) = values["OTI"]
        self.assertEqual(
            {k: v for k, v in oti["OTI"].items() if k != "_position"},
            {
                "status": "TR",
                "qualifier": "TN",
                "reference": "PRO9999999",
                "date": "20261126",
                "time": "0930",
                "group_control": "107",
                "set_control": "0002",
                "set_id": "214",
            },
        )
        (ted,) = oti["TED"]
        ted = ted["TED"]
        self.assertEqual(
            (ted["code"], ted["segment_id"], ted["position"], ted["element"]),
            ("024", "B10", "2", "2"),
        )
        self.assertTrue(ted["message"].startswith("Unknown shipment 'NO-SUCH-BOL-77'"))
        self.assertEqual(len(ted["message"]), advice824.TED_MESSAGE_MAX)
        # the 824 waits for the partner's 997 like every document we send
        self.assertEqual(advice.ack_status, "pending")

    def test_reprocessing_sends_no_second_824(self):
        exchange = self._receive("214_unknown_shipment.edi")
        advice = exchange.advice_exchange_id
        self.assertTrue(advice)
        exchange.action_reprocess()
        self.assertEqual(exchange.state, "error")
        self.assertEqual(self._advices(), advice)

    def test_without_the_option_no_824(self):
        self.partner.edi_send_824 = False
        exchange = self._receive("214_unknown_shipment.edi")
        self.assertEqual(exchange.state, "error")
        self.assertFalse(exchange.advice_exchange_id)
        self.assertFalse(self._advices())

    def test_a_file_applied_in_full_or_rejected_by_the_997_gets_no_824(self):
        exchange = self._receive("214_two_sets.edi")
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        # syntax errors are the 997's (AK3/AK4/AK5 R), not an 824's
        rejected = self._receive("214_segment_errors.edi")
        self.assertEqual(rejected.state, "error")
        self.assertFalse(rejected.error_ids.filtered(lambda e: e.level == "application"))
        self.assertFalse(exchange.advice_exchange_id | rejected.advice_exchange_id)
        self.assertFalse(self._advices())

    def test_messages_are_cut_and_cleaned_for_ted02(self):
        (interchange,) = x12.parse(self._file("214_unknown_shipment.edi"))
        group = interchange.groups[0]
        loop = advice824.rejected_set(
            group,
            group.sets[1],
            [{"message": "a*b~c\nd " + "x" * 80, "position": 9, "segment_id": "B10"}],
        )
        ted = loop["TED"][0]["TED"]
        self.assertEqual(ted["message"], "a b c d " + "x" * 49 + "...")
        self.assertEqual((ted["position"], ted["element"]), ("2", ""))
