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
            ("bad.edi", SAMPLE.replace(b"UNZ+2+IFT000017'", b"UNZ+3+IFT000018'")),
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
        self.assertEqual(files.mapped("state"), ["failed", "processed"])
        self.assertIn("UNZ01 says 3 messages", files[0].error)
        good = self.Exchange.search([("file_id", "=", files[1].id)])
        self.assertEqual((good.state, good.doc_type), ("processed", "IFTSTA"))
        self.assertEqual(len(self._events()), 4)
        self.assertEqual(
            sorted(os.listdir(os.path.join(inbox, "failed"))), [f"{files[0].id}-bad.edi"]
        )
