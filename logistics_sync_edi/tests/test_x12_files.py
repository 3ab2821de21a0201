# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""X12 on the partner's file channel (a local folder): a 214 dropped in the inbox is
read, applied and answered with a 997 uploaded to the outbox; bad files fail."""

import os
import shutil
import tempfile
import time
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..lib import x12, x12ack
from .common import EdiCommon
from odoo.addons.queue_job.tests.common import trap_jobs

# a 214 we send (one status), for the outbound tests
OUTBOUND_214 = {
    "B10": {"shipment_ref": "EDI/OUT/00001", "scac": "WIDG"},
    "LX": [
        {
            "LX": {"number": "1"},
            "AT7": [{"AT7": {"status": "AF", "date": "20261126", "time": "0930"}}],
        }
    ],
}


@tagged("post_install", "-at_install")
class TestX12Files(EdiCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_edi()

    def setUp(self):
        super().setUp()
        self.inbox = tempfile.mkdtemp()
        self.outbox = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.inbox)
        self.addCleanup(shutil.rmtree, self.outbox)
        self.partner.write(
            {
                "file_transport": "folder",
                "file_format": "x12",
                "file_inbound_path": self.inbox,
                "file_outbound_path": self.outbox,
            }
        )

    def _drop(self, name, data=None, as_name=None):
        path = os.path.join(self.inbox, as_name or name)
        with open(path, "wb") as handle:
            handle.write(data if data is not None else self._file(name))
        then = time.time() - 3600
        os.utime(path, (then, then))

    def _pickup_and_run(self):
        """The pick-up cron, then every job queued (receive, moves, uploads)."""
        with trap_jobs() as trap:
            self.env["logistics.endpoint"]._cron_file_pickup()
            done = 0
            while done < len(trap.enqueued_jobs):
                job = trap.enqueued_jobs[done]
                job.recordset = job.recordset.with_env(self.env)
                job.perform()
                done += 1

    def _outbox(self):
        return sorted(os.listdir(self.outbox))

    def test_a_214_dropped_in_the_inbox_is_applied_and_answered_in_the_outbox(self):
        self._drop("214_two_sets.edi")
        self._pickup_and_run()
        exchange = self.Exchange.search(
            [("endpoint_id", "=", self.partner.id), ("direction", "=", "in")]
        )
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(
            (exchange.file_id.state, exchange.file_id.name), ("processed", "214_two_sets.edi")
        )
        self.assertEqual(
            (exchange.file_id.res_model, exchange.file_id.res_id), (exchange._name, exchange.id)
        )
        self.assertEqual(len(self._events(exchange)), 4)
        self.assertEqual(
            os.listdir(os.path.join(self.inbox, "processed")),
            [f"{exchange.file_id.id}-214_two_sets.edi"],
        )
        ack = exchange.ack_exchange_id
        self.assertEqual((ack.state, ack.file_id.state), ("sent", "sent"))
        self.assertEqual(self._outbox(), [ack.file_name])
        with open(os.path.join(self.outbox, ack.file_name), "rb") as handle:
            (interchange,) = x12.parse(handle.read())
        (group,) = x12ack.read_997(interchange.sets[0])
        self.assertEqual((group["group_control"], group["status"]), ("101", "accepted"))

    def test_a_file_that_is_not_x12_fails_with_its_exchange_in_error(self):
        self._drop("not_x12.csv")
        self._pickup_and_run()
        exchange = self.Exchange.search([("endpoint_id", "=", self.partner.id)])
        self.assertEqual(exchange.state, "error")
        self.assertEqual(exchange.file_id.state, "failed")
        self.assertIn("not an X12 file", exchange.file_id.error)
        self.assertEqual(
            os.listdir(os.path.join(self.inbox, "failed")), [f"{exchange.file_id.id}-not_x12.csv"]
        )
        self.assertEqual(self._outbox(), [], "nothing answered")

    def test_the_same_interchange_in_another_file_is_a_duplicate_exchange(self):
        self._drop("214_two_sets.edi")
        self._pickup_and_run()
        # the same interchange re-sent with another time in its ISA: other bytes
        again = self._file("214_two_sets.edi").replace(b"*261126*0930*", b"*261126*0945*", 1)
        self._drop("214_two_sets.edi", again, as_name="214_resent.edi")
        self._pickup_and_run()
        second = self.Exchange.search(
            [("endpoint_id", "=", self.partner.id), ("file_name", "=", "214_resent.edi")]
        )
        self.assertTrue(second.duplicate_of_id)
        self.assertEqual(second.file_id.state, "failed")
        self.assertEqual(len(self._events(second)), 4, "no event twice")
        # the TA1 refusing it is uploaded beside the 997 of the first
        self.assertEqual(len(self._outbox()), 2)
        self.assertEqual(second.ack_exchange_id.doc_type, "TA1")

    def test_an_outbound_document_is_uploaded_and_its_997_clock_starts(self):
        with trap_jobs() as trap:
            exchange = self.Exchange._edi_send_x12(self.partner, "214", [OUTBOUND_214])
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.partner.channel_name)
            trap.perform_enqueued_jobs()
        self.assertEqual((exchange.state, exchange.ack_status), ("sent", "pending"))
        self.assertEqual(exchange.file_id.state, "sent")
        self.assertEqual(exchange.ack_due_at, exchange.sent_at + timedelta(hours=24))
        with open(os.path.join(self.outbox, exchange.file_name), "rb") as handle:
            self.assertEqual(handle.read(), exchange.attachment_id.raw)
        # without an outbound path nothing is uploaded: the file waits for download
        self.partner.file_outbound_path = False
        kept = self.Exchange._edi_send_x12(self.partner, "214", [OUTBOUND_214])
        self.assertEqual((kept.state, kept.file_id), ("processed", self.env["logistics.file"]))
        with self.assertRaisesRegex(UserError, "no file channel"):
            kept.action_send_again()
        # the channel back: Send again uploads the same bytes once more
        self.partner.file_outbound_path = self.outbox
        with trap_jobs() as trap:
            kept.action_send_again()
            trap.perform_enqueued_jobs()
        self.assertEqual((kept.state, kept.file_id.state), ("sent", "sent"))
        with open(os.path.join(self.outbox, kept.file_name), "rb") as handle:
            self.assertEqual(handle.read(), kept.attachment_id.raw)

    def test_a_failed_file_processed_again_reprocesses_its_exchange(self):
        """Files > Process again on a failed X12 file: its exchange is reprocessed,
        not made again as a duplicate of itself."""
        self._drop("214_unknown_shipment.edi")
        self._pickup_and_run()
        (exchange,) = self.Exchange.search(
            [("endpoint_id", "=", self.partner.id), ("direction", "=", "in")]
        )
        file = exchange.file_id
        self.assertEqual((exchange.state, file.state), ("error", "failed"))
        self._make_picking(name="NO-SUCH-BOL-77")
        manager = new_test_user(
            self.env,
            login="edi_files_manager",
            groups="logistics_sync_base.group_logistics_sync_manager",
        )
        with trap_jobs():
            file.with_user(manager).action_process_again()
        self.assertEqual(
            self.Exchange.search([("endpoint_id", "=", self.partner.id), ("direction", "=", "in")]),
            exchange,
            "no second exchange",
        )
        self.assertFalse(exchange.duplicate_of_id)
        self.assertEqual((exchange.state, file.state), ("processed", "processed"))
        self.assertEqual(len(self._events(exchange)), 3)

    def test_an_outbound_exchange_follows_the_upload_of_its_file(self):
        """Sent once uploaded; a failed upload puts the exchange in error with the
        file's message; Send again uploads it and clears the error."""
        with trap_jobs() as trap:
            exchange = self.Exchange._edi_send_x12(self.partner, "214", [OUTBOUND_214])
            self.assertEqual((exchange.state, exchange.file_id.state), ("processed", "pending"))
            self.assertFalse(exchange.sent_at)
            shutil.rmtree(self.outbox)  # the partner's folder is gone: a permanent failure
            trap.perform_enqueued_jobs()
        self.assertEqual(exchange.file_id.state, "failed")
        self.assertEqual(exchange.state, "error")
        (line,) = exchange.error_ids
        self.assertEqual(line.level, "file")
        self.assertIn("no such folder", line.message)
        self.assertIn(exchange.file_name, exchange.error_summary)
        failed_file = exchange.file_id
        os.mkdir(self.outbox)
        with trap_jobs() as trap:
            exchange.action_send_again()
            self.assertEqual(exchange.state, "processed")
            trap.perform_enqueued_jobs()
        self.assertNotEqual(exchange.file_id, failed_file)
        self.assertEqual((exchange.state, exchange.file_id.state), ("sent", "sent"))
        self.assertFalse(exchange.error_ids)
        self.assertTrue(exchange.sent_at)
        self.assertEqual(exchange.ack_status, "pending")
        self.assertEqual(self._outbox(), [exchange.file_name])
