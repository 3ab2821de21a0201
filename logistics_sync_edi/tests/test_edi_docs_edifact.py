# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""EDIFACT partners: an IFTSTA shaped after the EANCOM guide feeds the event pipeline
(the same path as the 214s and webhooks); a bad or unknown one applies nothing; ASNs
go out as DESADVs built from the same data as the 856."""

import os
import tempfile
import time

from odoo.tests import TransactionCase, tagged

from ..lib import edifact
from .docs_common import DATA, EdiDocsCommon, x12_file
from odoo.addons.queue_job.tests.common import trap_jobs

SAMPLE = (DATA / "iftsta_d96a_two_consignments.edi").read_bytes()


@tagged("post_install", "-at_install")
class TestEdiDocsEdifact(EdiDocsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl_edi()
        cls.carrier = cls.env["logistics.endpoint"].create(
            {
                "name": "Road carrier (EDIFACT)",
                "code": "road-edifact",
                "kind": "carrier",
                "responsible_user_id": cls.responsible.id,
                "file_transport": "folder",
                "file_format": "edifact",
                "file_outbound_path": tempfile.mkdtemp(prefix="lsync-edifact-"),
                "edi_edifact_id_own": "4012345000009",
                "edi_edifact_id_partner": "5412345000013",
            }
        )
        cls.pickings = [cls._make_picking(name=f"WH/OUT/0004{n}") for n in (2, 3, 4)]
        cls.Exchange = cls.env["logistics.edi.exchange"]

    def _receive(self, data, name="iftsta.edi"):
        return self.Exchange._edi_receive_edifact(self.carrier, data, file_name=name)

    def _events(self):
        return self.env["logistics.event"].search(
            [("endpoint_id", "=", self.carrier.id)], order="id"
        )

    def test_iftsta_feeds_the_event_pipeline(self):
        exchange = self._receive(SAMPLE)
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(
            (
                exchange.standard,
                exchange.doc_type,
                exchange.interchange_control,
                exchange.set_count,
            ),
            ("edifact", "IFTSTA", "IFT000017", 2),
        )
        events = self._events()
        self.assertEqual(
            [(e.shipment_ref, e.milestone, e.source_status) for e in events],
            [
                ("WH/OUT/00042", "picked_up", "13"),
                ("WH/OUT/00042", "in_transit", "31"),
                ("WH/OUT/00043", "delivered", "21"),
                ("WH/OUT/00044", "delivery_failed", "54"),
            ],
        )
        self.assertEqual(exchange.event_count, 4)
        self._process_pending(self.carrier)
        self.assertEqual(self.pickings[0].logistics_milestone, "in_transit")
        # the same interchange again: refused, nothing stored twice
        again = self._receive(SAMPLE, "again.edi")
        self.assertEqual(again.state, "error")
        self.assertIn("received already", again.error_summary)
        self.assertEqual(len(self._events()), 4)

    def test_bad_counts_unknown_codes_and_consignments_apply_nothing(self):
        cases = [
            (SAMPLE.replace(b"UNT+19+1'", b"UNT+18+1'"), 20, "UNT", "UNT01 says 18 segments"),
            (SAMPLE.replace(b"STS+1+21'", b"STS+1+99'"), 16, "STS", "status code 99 is not"),
            (
                SAMPLE.replace(b"CNI+2+WH/OUT/00043'", b"CNI+2+WH/OUT/00999'"),
                16,
                "STS",
                "Unknown consignment 'WH/OUT/00999'",
            ),
        ]
        for index, (data, position, tag, words) in enumerate(cases):
            exchange = self._receive(data.replace(b"IFT000017", b"IFT00000%d" % index))
            self.assertEqual(exchange.state, "error", words)
            error = exchange.error_ids[:1]
            self.assertEqual((error.position, error.segment_id), (position, tag), error.message)
            self.assertIn(words, exchange.error_summary)
        self.assertFalse(self._events())
        not_edifact = self._receive(b"ISA*00*this is X12, not EDIFACT~", "x.edi")
        self.assertEqual(not_edifact.state, "error")
        self.assertIn("not an EDIFACT interchange", not_edifact.error_summary)

    def test_partner_status_codes_are_data(self):
        self.env["logistics.edi.code"].create(
            [
                {
                    "endpoint_id": self.carrier.id,
                    "list_name": "edifact_status",
                    "partner_code": code,
                    "canonical_value": value,
                }
                for code, value in (
                    ("13", "picked_up"),
                    ("31", "in_transit"),
                    ("21", "delivered"),
                    ("54", "exception"),
                )
            ]
        )
        exchange = self._receive(SAMPLE)
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(self._events()[-1].milestone, "exception")

    def test_desadv_to_a_customer_speaking_edifact(self):
        self.customer.write({"tpl_requires_asn": True, "tpl_asn_endpoint_id": self.carrier.id})
        with trap_jobs() as trap:
            picking = self._delivery([(self.product, 2)])
            self._run_jobs(trap)
        release = picking.sudo().tpl_release_id
        moves = picking.move_ids
        data = x12_file(
            "SW",
            "945",
            [
                f"W06*F*{release.name}*20261207",
                "W27*M*UPSN",
                "LX*1",
                "MAN*GM*00354123450000000014",
                "W12*CC*2*2**EA**SK*WIDGET",
                f"N9*LI*{moves.id}",
                "W03*2",
            ],
        )
        with trap_jobs() as trap:
            exchange = self.Exchange._edi_receive(self.tpl, data, "945.x12")
            self._run_jobs(trap)
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        notice = self.env["logistics.tpl.asn"].search([("picking_id", "=", picking.id)])
        self.assertEqual(notice.state, "sent", notice.last_error)
        (out,) = self._out(notice, "DESADV")
        interchange = edifact.read_interchange(out.attachment_id.raw)
        (message,) = interchange.messages
        self.assertEqual(
            (interchange.sender, interchange.recipient), ("4012345000009", "5412345000013")
        )
        gins = [(s.get(0), s.get(1)) for s in message.segments if s.tag == "GIN"]
        self.assertEqual(gins, [("BJ", "354123450000000014")])
        self.assertEqual([s.get(0, 1) for s in message.segments if s.tag == "QTY"], ["2"])

    def test_an_iftsta_dropped_in_the_inbox_and_a_bad_one_failing(self):
        inbox = tempfile.mkdtemp(prefix="lsync-edifact-in-")
        self.carrier.file_inbound_path = inbox
        for name, data in (
            ("good.edi", SAMPLE),
            # its own reference: an interchange rejected by our CONTRL keeps its number
            (
                "bad.edi",
                SAMPLE.replace(b"IFT000017", b"IFT000018").replace(b"UNZ+2+", b"UNZ+3+"),
            ),
        ):
            path = os.path.join(inbox, name)
            with open(path, "wb") as handle:
                handle.write(data)
            os.utime(path, (time.time() - 3600, time.time() - 3600))
        with trap_jobs() as trap:
            self.env["logistics.endpoint"]._cron_file_pickup()
            done = 0
            while done < len(trap.enqueued_jobs):
                job = trap.enqueued_jobs[done]
                job.recordset = job.recordset.with_env(self.env)
                job.perform()
                done += 1
        files = self.env["logistics.file"].search(
            [("endpoint_id", "=", self.carrier.id), ("direction", "=", "in")], order="name"
        )
        self.assertEqual(files.mapped("name"), ["bad.edi", "good.edi"])
        self.assertEqual(files.mapped("state"), ["failed", "processed"], files.mapped("error"))
        self.assertIn("UNZ01 says 3 messages", files[0].error)
        good = self.Exchange.search([("file_id", "=", files[1].id)])
        self.assertEqual((good.state, good.doc_type), ("processed", "IFTSTA"))
        self.assertEqual(len(self._events()), 4)
        self.assertEqual(
            sorted(os.listdir(os.path.join(inbox, "failed"))), [f"{files[0].id}-bad.edi"]
        )

    # ------------------------------------------------------------------ CONTRL
    def _contrl_out(self, exchange):
        """Our CONTRL answering ``exchange``: (its exchange, its segment texts)."""
        ack = exchange.ack_exchange_id
        self.assertEqual((ack.direction, ack.doc_type, ack.standard), ("out", "CONTRL", "edifact"))
        self.assertEqual(exchange.ack_status, "sent")
        text = ack.attachment_id.raw.decode()
        return ack, [line for line in text.splitlines() if line[:3] in ("UCI", "UCM", "UCS", "UCD")]

    def test_contrl_answers_every_iftsta_at_the_level_of_its_error(self):
        good = self._receive(SAMPLE)
        ack, lines = self._contrl_out(good)
        self.assertEqual(
            lines,
            [
                "UCI+IFT000017+5412345000013:14+4012345000009:14+7'",
                "UCM+1+IFTSTA:D:96A:UN:EAN002+7'",
                "UCM+2+IFTSTA:D:96A:UN:EAN002+7'",
            ],
        )
        self.assertFalse(ack.ack_status, "a CONTRL waits for no acknowledgement")
        self.assertIn("UNH+1+CONTRL:D:3:UN'", ack.attachment_id.raw.decode())
        cases = [
            # wrong UNT count: message 1 rejected at its UNT (29: control count)
            (
                SAMPLE.replace(b"UNT+19+1'", b"UNT+18+1'"),
                [
                    "UCI+IFT000001+5412345000013:14+4012345000009:14+7'",
                    "UCM+1+IFTSTA:D:96A:UN:EAN002+4+29+UNT+2'",
                    "UCM+2+IFTSTA:D:96A:UN:EAN002+7'",
                ],
            ),
            # wrong UNZ count: the whole interchange rejected at the UNZ
            (
                SAMPLE.replace(b"UNZ+2+", b"UNZ+3+"),
                ["UCI+IFT000002+5412345000013:14+4012345000009:14+4+29+UNZ+2'"],
            ),
            # an unknown message: rejected at its UNH's message type (14)
            (
                SAMPLE.replace(b"UNH+2+IFTSTA:D:96A", b"UNH+2+ORDERS:D:96A"),
                [
                    "UCI+IFT000003+5412345000013:14+4012345000009:14+7'",
                    "UCM+1+IFTSTA:D:96A:UN:EAN002+7'",
                    "UCM+2+ORDERS:D:96A:UN:EAN002+4+14+UNH+3:1'",
                ],
            ),
            # a status code not in the list: the segment (5th of message 2) and element
            (
                SAMPLE.replace(b"STS+1+54", b"STS+1+99"),
                [
                    "UCI+IFT000004+5412345000013:14+4012345000009:14+7'",
                    "UCM+1+IFTSTA:D:96A:UN:EAN002+7'",
                    "UCM+2+IFTSTA:D:96A:UN:EAN002+4'",
                    "UCS+5'",
                    "UCD+12+3:1'",
                ],
            ),
            # another sender than the partner's: the UNB's sender (23)
            (
                SAMPLE.replace(b"UNB+UNOC:3+5412345000013", b"UNB+UNOC:3+5499999999999"),
                ["UCI+IFT000005+5499999999999:14+4012345000009:14+4+23+UNB+3'"],
            ),
        ]
        for index, (data, expected) in enumerate(cases, start=1):
            exchange = self._receive(data.replace(b"IFT000017", b"IFT00000%d" % index))
            self.assertEqual(exchange.state, "error", expected)
            self.assertEqual(self._contrl_out(exchange)[1], expected)
        self.assertEqual(len(self._events()), 4, "nothing of a rejected interchange applied")
        # a duplicate: refused and rejected (26) at the UNB's reference
        again = self._receive(SAMPLE, "again.edi")
        self.assertEqual(
            self._contrl_out(again)[1],
            ["UCI+IFT000017+5412345000013:14+4012345000009:14+4+26+UNB+6'"],
        )
        # an unknown consignment is not a syntax error: acknowledged, not applied
        unknown = self._receive(
            SAMPLE.replace(b"CNI+2+WH/OUT/00043'", b"CNI+2+WH/OUT/00999'").replace(
                b"IFT000017", b"IFT000099"
            )
        )
        self.assertEqual(unknown.state, "error")
        self.assertEqual(self._contrl_out(unknown)[1][0][-3:], "+7'")
        # reprocessing answers no second CONTRL
        contrls = self.Exchange.search_count([("doc_type", "=", "CONTRL")])
        unknown.action_reprocess()
        self.assertEqual(self.Exchange.search_count([("doc_type", "=", "CONTRL")]), contrls)
        self.assertIn("Unknown consignment 'WH/OUT/00999'", unknown.error_summary)
        # without "send 997/CONTRL" nothing is answered
        self.carrier.edi_send_997 = False
        quiet = self._receive(SAMPLE.replace(b"IFT000017", b"IFT000098"))
        self.assertFalse(quiet.ack_exchange_id)

    def _desadv(self, asn_id="ASN-1"):
        asn = {
            "asn_id": asn_id,
            "shipped_at": "2026-12-07T10:00:00Z",
            "ship_to": {"name": "Shop", "city": "Lyon", "zip": "69001", "country": "FR"},
            "packages": [{"sscc": "354123450000000014"}],
            "lines": [{"sku": "WIDGET", "quantity": 2, "sscc": "354123450000000014"}],
        }
        exchange = self.Exchange.with_user(self.stock_user)._edi_send_edifact(
            self.carrier, "DESADV", lambda ref: [edifact.desadv_message(asn, ref)]
        )
        return exchange.sudo()

    def _contrl_in(self, reference, data=None, control=b"CTL000051"):
        data = data or (DATA / "contrl_d3_answers_desadv.edi").read_bytes()
        data = data.replace(b"{reference}", reference.encode()).replace(b"CTL000051", control)
        return self._receive(data, "contrl.edi")

    def test_contrl_in_marks_the_desadv_and_overdue_ones_get_an_activity(self):
        desadv = self._desadv()
        # handed to the file channel, uploaded by a job: not sent yet
        self.assertEqual((desadv.state, desadv.ack_status), ("processed", "pending"))
        self.assertTrue(desadv.ack_due_at)
        unb = desadv.attachment_id.raw.decode().splitlines()[1]
        self.assertTrue(unb.endswith(f"+{desadv.interchange_control}++++1'"), unb)
        # the guide-shaped CONTRL rejecting it: segment 7 element 3:1, segment 12 missing
        contrl = self._contrl_in(desadv.interchange_control)
        self.assertEqual((contrl.state, contrl.doc_type), ("processed", "CONTRL"))
        self.assertFalse(contrl.ack_exchange_id, "a CONTRL is never answered")
        self.assertEqual((desadv.ack_status, desadv.state), ("rejected", "error"))
        self.assertEqual(desadv.ack_exchange_id, contrl)
        self.assertIn(
            "segment 7 of the message, element 3:1: invalid value (code 12); segment 12 of "
            "the message: missing (code 13)",
            desadv.error_summary,
        )
        # an acknowledging CONTRL for another: accepted
        second = self._desadv("ASN-2")
        accepting = (
            (DATA / "contrl_d3_answers_desadv.edi")
            .read_bytes()
            .replace(b"+4'\nUCS+7'\nUCD+12+3:1'\nUCS+12+13'\nUNT+7+", b"+7'\nUNT+4+")
        )
        self._contrl_in(second.interchange_control, accepting, b"CTL000052")
        self.assertEqual((second.ack_status, second.state), ("accepted", "acknowledged"))
        # a CONTRL for an interchange never sent: in error, nothing marked
        stray = self._contrl_in("000999999", accepting, b"CTL000053")
        self.assertEqual(stray.state, "error")
        self.assertIn("never sent to this partner", stray.error_summary)
        # the third one never acknowledged: the overdue cron's activity names CONTRL
        third = self._desadv("ASN-3")
        third.ack_due_at = "2026-01-01 00:00:00"
        self.Exchange._cron_edi_overdue_acks()
        self.assertEqual(third.ack_status, "overdue")
        self.assertIn("No CONTRL for", third.activity_ids.summary)
        self._contrl_in(third.interchange_control, accepting, b"CTL000054")
        self.assertEqual(third.ack_status, "accepted")
        self.assertFalse(third.activity_ids)
