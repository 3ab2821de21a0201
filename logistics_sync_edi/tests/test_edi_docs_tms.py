# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A TMS or carrier speaking X12: releases go out as 204 load tenders (original,
change, cancellation), its 990s accept or decline them as the TMS's JSON answer
does; an answer for no release stores nothing."""

import tempfile

from odoo.tests import TransactionCase, tagged

from .docs_common import x12_file
from odoo.addons.logistics_sync_tms.tests.common import TmsCommon
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestEdiDocsTms(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms()
        cls.tms.write(
            {
                "file_transport": "folder",
                "file_format": "x12",
                "file_outbound_path": tempfile.mkdtemp(prefix="lsync-tms-x12-"),
                "edi_isa_qualifier_partner": "02",
                "edi_isa_id_partner": "ODFL",
                "edi_isa_qualifier_own": "ZZ",
                "edi_isa_id_own": "ACMEMFG",
                "edi_usage": "T",
                "tms_carrier_codes": "sim,ODFL",
            }
        )
        cls.Exchange = cls.env["logistics.edi.exchange"]

    def _run_jobs(self, trap, rounds=60):
        """The release jobs (the file channel's uploads are its own tests')."""
        for _round in range(rounds):
            jobs = [job for job in trap.enqueued_jobs if job.model_name == "logistics.tms.release"]
            trap.enqueued_jobs = []
            if not jobs:
                return
            for job in jobs:
                job.perform()
        self.fail("jobs kept queuing more jobs")

    def _released(self, qty=1):
        picking = self._tms_picking(qty)
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            self._run_jobs(trap)
        self.assertEqual(release.state, "sent", release.block_reason or release.last_error)
        return picking, release

    def _tenders(self, release):
        exchanges = self.Exchange.search(
            [
                ("res_model", "=", release._name),
                ("res_id", "=", release.id),
                ("doc_type", "=", "204"),
            ],
            order="id",
        )
        return [e.attachment_id.raw.decode() for e in exchanges]

    def _990(self, name, action, control, extra=()):
        body = [f"B1*ODFL*{name}*20261207*{action}", "N9*CN*PRO-0773", *extra]
        return x12_file("GF", "990", body, control=control, sender="ODFL", qualifier="02")

    def test_204_original_change_cancel(self):
        picking, release = self._released()
        self.assertEqual(release.tms_ref, picking.name)
        self.assertEqual(self.sim.stats()["writes"], {}, "nothing goes to the TMS's JSON API")
        with trap_jobs() as trap:
            picking.move_ids.product_uom_qty = 4
            self._run_jobs(trap)
        with trap_jobs() as trap:
            picking.action_cancel()
            self._run_jobs(trap)
        tenders = self._tenders(release)
        self.assertEqual([t.split("B2A*")[1][:2] for t in tenders], ["00", "04", "01"])
        self.assertIn(f"B2**ODFL**{picking.name}**PP~", tenders[0])
        self.assertIn("L11*2*VR~", tenders[1])
        self.assertIn("~\nOID*", tenders[1])
        self.assertIn("S5*1*CL*50*K*4*EA~", tenders[1])
        self.assertEqual(release.state, "cancelled")

    def test_204_carries_the_dangerous_goods_of_a_line(self):
        picking = self._tms_picking(2)
        picking.move_ids.product_id.product_tmpl_id.write(
            {
                "logistics_un_number": "1263",
                "logistics_hazard_class": "3",
                "logistics_packing_group": "II",
            }
        )
        with trap_jobs() as trap:
            release = picking._tms_create_releases()
            self._run_jobs(trap)
        (tender,) = self._tenders(release)
        # the OID loop of the line holds its L5 and the hazardous material (LH1, LH2)
        self.assertRegex(
            tender, r"~\nOID\*[^~]*~\nL5\*1\*[^~]+~\nLH1\*EA\*2\*UN1263\*{7}II~\nLH2\*3~"
        )

    def test_990_accepts_or_declines_the_release(self):
        picking, release = self._released()
        exchange = self.Exchange._edi_receive(
            self.tms, self._990(picking.name, "A", "000000601"), "a.x12"
        )
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(release.state, "accepted")
        self.assertEqual(release.load_ref, "PRO-0773")
        other, declined = self._released()
        exchange = self.Exchange._edi_receive(
            self.tms,
            self._990(other.name, "D", "000000602", extra=["K1*NO EQUIPMENT AVAILABLE"]),
            "d.x12",
        )
        self.assertEqual(exchange.state, "processed", exchange.error_summary)
        self.assertEqual(declined.state, "rejected")
        self.assertEqual(declined.rejection_reason, "NO EQUIPMENT AVAILABLE")
        self.assertTrue(declined.exception)

    def test_990_for_no_release_stores_nothing(self):
        events = self.env["logistics.event"].search_count([])
        exchange = self.Exchange._edi_receive(
            self.tms, self._990("WH/OUT/99999", "A", "000000603"), "x.x12"
        )
        self.assertEqual(exchange.state, "error")
        error = exchange.error_ids.filtered(lambda e: e.level == "application")
        self.assertEqual((error.segment_id, error.element, error.position), ("B1", 2, 4))
        self.assertIn("Unknown load tender 'WH/OUT/99999'", error.message)
        self.assertEqual(self.env["logistics.event"].search_count([]), events)
