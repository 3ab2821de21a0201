# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Sent X12: envelopes and control numbers, the partner's 997, the overdue 997."""

import importlib.util
import os
from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import EdiCommon

STATUS = {
    "B10": {"tracking_ref": "PRO1", "shipment_ref": "EDI/OUT/00001", "scac": "WIDG"},
    "LX": [
        {
            "LX": {"number": "1"},
            "AT7": [{"AT7": {"status": "AF", "reason": "NS", "date": "20261126", "time": "0930"}}],
        }
    ],
}


@tagged("post_install", "-at_install")
class TestX12Outbound(EdiCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_edi()

    def _send(self):
        return self.Exchange._edi_send_x12(self.partner, "214", [STATUS], record=self.pickings[0])

    def test_envelopes_carry_the_partners_ids_and_own_control_numbers(self):
        first, second = self._send(), self._send()
        self.assertEqual(
            [(e.interchange_control, e.group_control, e.set_control) for e in first | second],
            [("000000001", "1", "0001"), ("000000002", "2", "0001")],
        )
        interchange, segments = self._segments(first)
        self.assertFalse(interchange.all_errors)
        self.assertEqual(
            (interchange.sender_qualifier, interchange.sender_id, interchange.receiver_id),
            ("01", "123456789", "RDWY"),
        )
        self.assertEqual((interchange.usage, interchange.version), ("T", "00401"))
        self.assertEqual(segments[1], ["B10", "PRO1", "EDI/OUT/00001", "WIDG"])
        self.assertEqual(segments[-1], ["SE", "5", "0001"])
        self.assertEqual((first.state, first.ack_status), ("processed", "pending"))
        self.assertEqual((first.res_model, first.res_id), ("stock.picking", self.pickings[0].id))
        self.assertTrue(first.ack_due_at)
        # control numbers are unique per partner and direction
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            with self.env.cr.savepoint():
                first.copy({"interchange_control": "000000002"}).flush_recordset()

    def test_control_numbers_come_from_a_postgresql_sequence_not_a_locked_row(self):
        """Two jobs sending to one partner at once must not wait on each other: a
        ``no_gap`` sequence locks its row until the sending transaction ends (the
        second job collided: an ERROR line, then a retry); a ``standard`` one takes
        its number with nextval, which never waits. Sequences made before 18.0.1.1.0
        are switched by the migration, keeping the next number."""
        first = self._send()
        sequence = self.partner.sudo().edi_sequence_id
        self.assertEqual(sequence.implementation, "standard")
        self.assertEqual(int(self._send().interchange_control), int(first.interchange_control) + 1)
        # a partner whose sequence is still no-gap, at number 41
        sequence.write({"implementation": "no_gap", "number_next": 41})
        path = os.path.join(
            os.path.dirname(os.path.dirname(__file__)),
            "migrations",
            "18.0.1.1.0",
            "post-migration.py",
        )
        spec = importlib.util.spec_from_file_location("edi_migration_18_0_1_1_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        sequence.invalidate_recordset()
        self.assertEqual(sequence.implementation, "standard")
        self.assertEqual(self._send().interchange_control, "000000041")

    def test_the_partners_997_marks_the_exchange_acknowledged(self):
        sent = self._send()
        ack = self._receive("997_accepts_group_1.edi")
        self.assertEqual((ack.doc_type, ack.state), ("997", "processed"))
        self.assertEqual((sent.state, sent.ack_status), ("acknowledged", "accepted"))
        self.assertEqual(sent.ack_exchange_id, ack)
        self.assertFalse(ack.ack_exchange_id, "a 997 is not acknowledged by a 997")

    def test_a_rejecting_997_puts_the_exchange_in_error_with_the_partners_reasons(self):
        sent = self._send()
        self._receive("997_rejects_group_1.edi")
        self.assertEqual((sent.state, sent.ack_status), ("error", "rejected"))
        (line,) = sent.error_ids
        self.assertEqual(line.level, "acknowledgement")
        self.assertIn(
            "segment B10 at position 2 of the set: segment has data element errors", line.message
        )
        self.assertIn("element 3: mandatory data element missing", line.message)

    def test_a_997_for_a_group_never_sent_is_an_error(self):
        self._send()
        ack = self._receive("997_unknown_group.edi")
        self.assertEqual(ack.state, "error")
        self.assertEqual(self._errors(ack), [("application", 4, "AK1", 2, False)])
        self.assertIn("group 77", ack.error_ids.message)

    def test_an_overdue_997_raises_one_activity(self):
        sent = self._send()
        activity_type = self.env.ref("logistics_sync_edi.mail_activity_edi_ack_overdue")
        self.Exchange._cron_edi_overdue_acks()
        self.assertEqual(sent.ack_status, "pending")
        later = fields.Datetime.now() + timedelta(hours=self.partner.edi_ack_hours, minutes=1)
        with freeze_time(later):
            self.Exchange._cron_edi_overdue_acks()
            self.Exchange._cron_edi_overdue_acks()
        self.assertEqual(sent.ack_status, "overdue")
        activities = sent.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.responsible)
        # the late 997 still counts, and closes the activity
        self._receive("997_accepts_group_1.edi")
        self.assertEqual(sent.ack_status, "accepted")
        self.assertFalse(sent.activity_ids)

    def test_a_stock_user_causing_a_document_records_its_exchange(self):
        clerk = new_test_user(self.env, login="edi_out_clerk", groups="stock.group_stock_user")
        picking = self.pickings[0].with_user(clerk)
        exchange = self.Exchange.with_user(clerk)._edi_send_x12(
            self.partner.with_user(clerk), "214", [STATUS], record=picking
        )
        with self.assertRaises(AccessError):
            exchange.check_access("read")  # returned with the clerk's rights
        exchange = self.Exchange.browse(exchange.id)
        self.assertEqual(exchange.create_uid, clerk)
        self.assertEqual((exchange.state, exchange.interchange_control), ("processed", "000000001"))
        self.assertTrue(exchange.attachment_id.raw.startswith(b"ISA*00*"))

    def test_a_ta1_refusing_our_interchange_puts_it_in_error(self):
        sent = self._send()
        ta1 = self._receive("ta1_rejects_interchange_1.edi")
        self.assertEqual((ta1.doc_type, ta1.state), ("TA1", "processed"))
        self.assertFalse(ta1.ack_exchange_id, "a TA1 is not answered")
        self.assertEqual(
            (sent.state, sent.ack_status, sent.ack_exchange_id), ("error", "rejected", ta1)
        )
        self.assertIn("TA1 note 006: invalid interchange sender ID", sent.error_ids.message)
