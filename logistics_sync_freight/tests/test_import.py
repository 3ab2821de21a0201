# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier invoice files: accepted whole, refused whole, the same file skipped."""

import os
import shutil
import tempfile
import time

from odoo.tests import TransactionCase, tagged

from .common import FreightCommon, csv_bytes
from odoo.addons.queue_job.tests.common import trap_jobs


def _age(path, seconds):
    """Make ``path`` look last modified ``seconds`` ago (not the link's target)."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@tagged("post_install", "-at_install")
class TestFreightImport(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.picking = cls._done_picking({cls.type_base: 100.0, cls.type_fuel: 10.0})

    def _counts(self):
        return (
            self.env["logistics.freight.invoice"].search_count([]),
            self.Charge.search_count([]),
        )

    def test_a_file_with_one_bad_line_is_refused_whole(self):
        before = self._counts()
        ref = self.picking.name
        batch = self._import(
            csv_bytes(
                f"CI-1,2026-11-30,USD,{ref},,base,100.00,1,Freight",
                f"CI-1,2026-11-30,USD,{ref},,fuel,1O.00,1,Fuel",
                f"CI-2,2026-11-30,USD,{ref},,teleport,5,1,",
            )
        )
        self.assertEqual(batch.state, "refused")
        self.assertEqual(batch.line_count, 3)
        self.assertEqual(
            batch._freight_errors(),
            [
                "line 3, amount: not a number: '1O.00'",
                "line 4, charge_type: unknown charge type 'teleport'",
            ],
        )
        self.assertEqual(self._counts(), before)
        self.assertFalse(batch.invoice_ids)

    def test_the_same_file_twice_is_skipped(self):
        data = csv_bytes(
            f"CI-10,2026-11-30,USD,{self.picking.name},,base,100.00,1,Freight",
            f"CI-10,2026-11-30,USD,,{self.picking.carrier_tracking_ref or 'none'},fuel,10,1,",
        )
        first = self._import(data)
        self.assertEqual(first.state, "accepted", first.errors)
        self.assertEqual((first.line_count, first.invoice_count), (2, 1))
        after_first = self._counts()
        second = self._import(data, name="invoice-again.csv")
        self.assertEqual(second.state, "skipped")
        self.assertEqual(second.duplicate_of_id, first)
        self.assertEqual(self._counts(), after_first)
        # another file repeating an invoice number already received: refused whole
        third = self._import(csv_bytes(f"CI-10,2026-11-30,USD,{self.picking.name},,base,1,1,again"))
        self.assertEqual(third.state, "refused")
        self.assertEqual(
            third._freight_errors(),
            ["line 2, invoice_number: carrier invoice CI-10 was already received"],
        )
        self.assertEqual(self._counts(), after_first)

    def test_the_cron_queues_a_job_per_file_of_the_endpoints_folder(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        self.endpoint.sudo().freight_import_folder = folder
        path = os.path.join(folder, "nov.csv")
        with open(path, "wb") as handle:
            handle.write(csv_bytes(f"CI-20,2026-11-30,USD,{self.picking.name},,base,100,1,"))
        with trap_jobs() as trap:  # still being uploaded (modified just now): not yet
            self.assertEqual(self.Batch._cron_import_files(), 0)
            trap.assert_jobs_count(0)
        _age(path, 61)
        with trap_jobs() as trap:
            self.assertEqual(self.Batch._cron_import_files(), 1)
            self.assertEqual(self.Batch._cron_import_files(), 1)  # still pending: not twice
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            self.assertEqual(job.channel, self.endpoint.channel_name)
            self.assertEqual(job.perform(), "nov.csv: accepted, 1 lines, 0 errors")
        batch = self.Batch.search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual((batch.name, batch.state), ("nov.csv", "accepted"))
        self.assertEqual(self._charges(self.picking).mapped("state"), ["approved"])
        self.env.cr.postcommit.run()  # the file moves once the batch is committed
        self.assertEqual(os.listdir(os.path.join(folder, "processed")), [f"{batch.id}-nov.csv"])
        with trap_jobs() as trap:
            self.assertEqual(self.Batch._cron_import_files(), 0)
            trap.assert_jobs_count(0)

    def test_unknown_shipment_waits_then_becomes_an_exception(self):
        self.endpoint.unknown_ref_wait_minutes = 60
        batch = self._import(csv_bytes("CI-30,2026-11-30,USD,WH/OUT/LATER,,base,80,1,"))
        charge = batch.invoice_ids.charge_ids
        self.assertEqual((charge.state, charge.wait_reason), ("waiting", "unknown_ref"))
        later = self._make_picking(name="WH/OUT/LATER")
        self._validate(later)
        self._expect(later, {self.type_base: 80.0})
        self.assertEqual(self.Charge._cron_rematch(), (1, 0))
        self.assertEqual((charge.state, charge.picking_id), ("approved", later))
        # another one never matches: an exception after the endpoint's wait
        batch = self._import(csv_bytes("CI-31,2026-11-30,USD,NOBODY,,base,80,1,"))
        lost = batch.invoice_ids.charge_ids
        self.assertEqual(self.Charge._cron_rematch(), (0, 0))
        lost.sudo().wait_until = "2020-01-01 00:00:00"
        self.assertEqual(self.Charge._cron_rematch(), (0, 1))
        self.assertEqual(lost.state, "exception")
        activity = batch.invoice_ids.activity_ids
        self.assertEqual(activity.user_id, self.responsible)

    def _folder(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        self.endpoint.sudo().freight_import_folder = folder
        return folder

    def _run_cron_jobs(self):
        """The cron, then its jobs, then the commit's file moves; returns the results."""
        with trap_jobs() as trap:
            self.Batch._cron_import_files()
            results = [job.perform() for job in trap.enqueued_jobs]
        self.env.cr.postcommit.run()
        return results

    def test_the_folder_refuses_links_large_and_bad_files_and_moves_them_aside(self):
        folder = self._folder()
        outside = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, outside)
        secret = os.path.join(outside, "secret.csv")
        with open(secret, "wb") as handle:
            handle.write(csv_bytes(f"CI-40,2026-11-30,USD,{self.picking.name},,base,100,1,"))
        os.symlink(secret, os.path.join(folder, "link.csv"))
        with open(os.path.join(folder, "big.csv"), "wb") as handle:
            handle.write(csv_bytes(*[f"CI-41,2026-11-30,USD,X{i},,base,1,1," for i in range(50)]))
        with open(os.path.join(folder, "bad.csv"), "wb") as handle:
            handle.write(csv_bytes(f"CI-42,2026-11-30,USD,{self.picking.name},,base,1O.00,1,"))
        os.mkdir(os.path.join(folder, "folder.csv"))
        for name in ("link.csv", "big.csv", "bad.csv"):
            _age(os.path.join(folder, name), 120)
        self.env["ir.config_parameter"].set_param("logistics_sync_freight.import_max_bytes", 1000)
        counts = self._counts()
        results = self._run_cron_jobs()
        self.assertEqual(
            sorted(results),
            [
                "bad.csv: refused, 1 lines, 1 errors",
                "big.csv: refused, 0 lines, 1 errors",
                "link.csv: refused, 0 lines, 1 errors",
            ],
        )
        batches = {b.name: b for b in self.Batch.search([("endpoint_id", "=", self.endpoint.id)])}
        self.assertEqual(set(batches), {"bad.csv", "big.csv", "link.csv"})
        self.assertEqual({b.state for b in batches.values()}, {"refused"})
        self.assertIn("symbolic link", batches["link.csv"].errors)
        self.assertIn("larger than the limit of 1000 bytes", batches["big.csv"].errors)
        self.assertIn("amount", batches["bad.csv"].errors)
        self.assertEqual(self._counts(), counts)  # nothing stored
        self.assertEqual(
            sorted(os.listdir(os.path.join(folder, "failed"))),
            sorted(f"{b.id}-{name}" for name, b in batches.items()),
        )
        self.assertEqual(sorted(os.listdir(folder)), ["failed", "folder.csv"])
        # the link moved aside, its target untouched and never read
        self.assertTrue(
            os.path.islink(os.path.join(folder, "failed", f"{batches['link.csv'].id}-link.csv"))
        )
        self.assertTrue(os.path.isfile(secret))
        # the cron run twice queues nothing new for the failed files
        for _run in range(2):
            with trap_jobs() as trap:
                self.assertEqual(self.Batch._cron_import_files(), 0)
                trap.assert_jobs_count(0)
