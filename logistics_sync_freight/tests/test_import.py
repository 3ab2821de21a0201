# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier invoice files: accepted whole, refused whole, the same file skipped."""

import importlib.util
import os
import shutil
import tempfile
import time
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user, tagged

from .common import FreightCommon, csv_bytes
from odoo.addons.queue_job.tests.common import trap_jobs


def _migration(version, name):
    path = Path(__file__).resolve().parent.parent / "migrations" / version / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"freight_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
        cls.Endpoint = cls.env["logistics.endpoint"]

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

    def test_the_channel_queues_a_job_per_file_of_the_endpoints_folder(self):
        folder = self._folder()
        path = os.path.join(folder, "nov.csv")
        with open(path, "wb") as handle:
            handle.write(csv_bytes(f"CI-20,2026-11-30,USD,{self.picking.name},,base,100,1,"))
        with trap_jobs() as trap:  # still being uploaded (modified just now): not yet
            self.assertEqual(self.Endpoint._cron_file_pickup(), 0)
            trap.assert_jobs_count(0)
        _age(path, 61)
        with trap_jobs() as trap:
            self.assertEqual(self.Endpoint._cron_file_pickup(), 1)
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            self.assertEqual(job.channel, self.endpoint.channel_name)
            self.assertEqual(job.perform(), "nov.csv: processed")
            trap.assert_jobs_count(2)  # then its move, once committed
            self.assertEqual(
                trap.enqueued_jobs[1].perform(),
                "nov.csv: moved to processed/" f"{self._file('nov.csv').id}-nov.csv",
            )
        batch = self.Batch.search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual((batch.name, batch.state), ("nov.csv", "accepted"))
        file = self._file("nov.csv")
        self.assertEqual(
            (file.state, file.res_model, file.res_id), ("processed", batch._name, batch.id)
        )
        self.assertEqual(self._charges(self.picking).mapped("state"), ["approved"])
        self.assertEqual(os.listdir(os.path.join(folder, "processed")), [f"{file.id}-nov.csv"])
        with trap_jobs() as trap:
            self.assertEqual(self.Endpoint._cron_file_pickup(), 0)
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
        self.endpoint.write(
            {
                "file_transport": "folder",
                "file_inbound_path": folder,
                "file_format": "freight_csv",
            }
        )
        return folder

    def _file(self, name):
        return self.env["logistics.file"].search(
            [("endpoint_id", "=", self.endpoint.id), ("name", "=", name)]
        )

    def _run_cron_jobs(self):
        """The pick-up cron, then its jobs and the moves they queue; returns the
        receive jobs' results."""
        results = []
        with trap_jobs() as trap:
            self.Endpoint._cron_file_pickup()
            done = 0
            while done < len(trap.enqueued_jobs):
                job = trap.enqueued_jobs[done]
                # a job queued by a failure recorded outside holds that closed cursor
                job.recordset = job.recordset.with_env(self.env)
                result = job.perform()
                if job.method_name == "_job_file_receive":
                    results.append(result)
                done += 1
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
        self.endpoint.file_max_bytes = 1000
        counts = self._counts()
        results = self._run_cron_jobs()
        self.assertEqual(
            sorted(result.split(",")[0] for result in results),
            ["bad.csv: failed", "big.csv: failed", "link.csv: failed"],
        )
        files = {name: self._file(name) for name in ("bad.csv", "big.csv", "link.csv")}
        self.assertEqual({f.state for f in files.values()}, {"failed"})
        # the file that could be read is a refused batch with its line errors
        batch = self.Batch.search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual((batch.name, batch.state), ("bad.csv", "refused"))
        self.assertIn("amount", batch.errors)
        self.assertEqual(files["bad.csv"].error, batch.errors)
        self.assertEqual(
            (files["bad.csv"].res_model, files["bad.csv"].res_id), (batch._name, batch.id)
        )
        self.assertIn("symbolic link", files["link.csv"].error)
        self.assertIn("larger than the limit of 1000 bytes", files["big.csv"].error)
        self.assertEqual(self._counts(), counts)  # nothing stored
        self.assertEqual(
            sorted(os.listdir(os.path.join(folder, "failed"))),
            sorted(f"{f.id}-{name}" for name, f in files.items()),
        )
        self.assertEqual(sorted(os.listdir(folder)), ["failed", "folder.csv"])
        # the link moved aside, its target untouched and never read
        self.assertTrue(
            os.path.islink(os.path.join(folder, "failed", f"{files['link.csv'].id}-link.csv"))
        )
        self.assertTrue(os.path.isfile(secret))
        # the cron run twice queues nothing new for the failed files
        for _run in range(2):
            with trap_jobs() as trap:
                self.assertEqual(self.Endpoint._cron_file_pickup(), 0)
                trap.assert_jobs_count(0)

    def test_the_same_file_twice_in_the_folder_is_a_duplicate(self):
        folder = self._folder()
        data = csv_bytes(f"CI-50,2026-11-30,USD,{self.picking.name},,base,100,1,")
        for name in ("dec.csv", "dec-again.csv"):
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
            _age(os.path.join(folder, name), 120)
        self.assertEqual(
            self._run_cron_jobs(), ["dec-again.csv: processed", "dec.csv: duplicate"]
        )  # picked up in name order
        self.assertEqual(self.Batch.search_count([("endpoint_id", "=", self.endpoint.id)]), 1)
        self.assertEqual(self._file("dec.csv").duplicate_of_id, self._file("dec-again.csv"))
        self.assertEqual(len(os.listdir(os.path.join(folder, "processed"))), 2)

    def test_the_old_folder_setting_migrates_onto_the_channel(self):
        """18.0.2.1.0: ``freight_import_folder`` and the two system parameters become
        the endpoint's file channel; the old cron is removed."""
        cr = self.env.cr
        cr.execute("ALTER TABLE logistics_endpoint ADD COLUMN freight_import_folder varchar")
        cr.execute(
            "UPDATE logistics_endpoint SET freight_import_folder = %s WHERE id = %s",
            ["/srv/carrier/invoices", self.endpoint.id],
        )
        params = self.env["ir.config_parameter"]
        params.set_param("logistics_sync_freight.import_max_bytes", "2000")
        params.set_param("logistics_sync_freight.import_min_age_seconds", "300")
        cron = self.env["ir.cron"].create(
            {
                "name": "old import",
                "model_id": self.env["ir.model"]._get_id("logistics.freight.batch"),
                "state": "code",
                "code": "model._cron_import_files()",
            }
        )
        self.env["ir.model.data"].create(
            {
                "module": "logistics_sync_freight",
                "name": "ir_cron_freight_import",
                "model": "ir.cron",
                "res_id": cron.id,
            }
        )
        self.env.flush_all()
        _migration("18.0.2.1.0", "post-migration").migrate(cr, "18.0.2.0.0")
        self.env.invalidate_all()
        self.assertEqual(
            (
                self.endpoint.file_transport,
                self.endpoint.file_inbound_path,
                self.endpoint.file_format,
                self.endpoint.file_max_bytes,
                self.endpoint.file_min_age_seconds,
            ),
            ("folder", "/srv/carrier/invoices", "freight_csv", 2000, 300),
        )
        self.assertFalse(params.get_param("logistics_sync_freight.import_max_bytes"))
        self.assertFalse(cron.exists())

    def test_a_file_refused_for_the_endpoint_is_processed_again_by_a_manager(self):
        folder = self._folder()
        self.endpoint.freight_partner_id = False  # no vendor yet: refused whole
        data = csv_bytes(f"CI-60,2026-11-30,USD,{self.picking.name},,base,100,1,")
        with open(os.path.join(folder, "jan.csv"), "wb") as handle:
            handle.write(data)
        _age(os.path.join(folder, "jan.csv"), 120)
        self.assertEqual(self._run_cron_jobs(), ["jan.csv: failed"])
        file = self._file("jan.csv")
        self.assertIn("no carrier vendor", file.error)
        self.assertEqual(os.listdir(os.path.join(folder, "failed")), [f"{file.id}-jan.csv"])
        self.endpoint.freight_partner_id = self.carrier
        manager = new_test_user(
            self.env,
            login="ls_freight_files_manager",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_manager",
        )
        with trap_jobs() as trap:
            file.with_user(manager).action_process_again()
            self.assertEqual(file.state, "processed")
            trap.assert_jobs_count(1)
            self.assertEqual(
                trap.enqueued_jobs[0].perform(), f"jan.csv: moved to processed/{file.id}-jan.csv"
            )
        batches = self.Batch.search([("endpoint_id", "=", self.endpoint.id)], order="id")
        self.assertEqual(batches.mapped("state"), ["refused", "accepted"])
        self.assertEqual((file.res_model, file.res_id), (batches._name, batches[1].id))
        self.assertEqual(self._charges(self.picking).mapped("state"), ["approved"])
        self.assertEqual(os.listdir(os.path.join(folder, "failed")), [])
        self.assertEqual(os.listdir(os.path.join(folder, "processed")), [f"{file.id}-jan.csv"])
