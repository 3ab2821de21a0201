# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""File channels on a local folder: pick-up, duplicates, refused files, uploads, bad
input, who may do what. (SFTP against a real server: tests/test_live_files.py.)"""

import os
import shutil
import tempfile
import time
from contextlib import contextmanager

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..lib import files
from odoo.addons.queue_job.tests.common import trap_jobs


def _age(path, seconds=3600):
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def _write(folder, name, data, age=3600):
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(data)
    if age:
        _age(path, age)
    return path


@tagged("post_install", "-at_install")
class TestFileChannel(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.registry.test_cr:
            # failures are recorded on a second connection (jobs.record_outside); in
            # test mode it shares the test's
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.endpoint = cls.env["logistics.endpoint"].create(
            {
                "name": "File partner",
                "code": "file-partner",
                "kind": "edi",
                "file_transport": "folder",
                "file_max_bytes": 1000,
            }
        )
        cls.File = cls.env["logistics.file"]
        cls.stock_user = new_test_user(
            cls.env, login="ls_files_stock", groups="stock.group_stock_user"
        )
        cls.ls_user = new_test_user(
            cls.env,
            login="ls_files_user",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )
        cls.ls_manager = new_test_user(
            cls.env,
            login="ls_files_manager",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_manager",
        )

    def setUp(self):
        super().setUp()
        self.inbox = tempfile.mkdtemp()
        self.outbox = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.inbox)
        self.addCleanup(shutil.rmtree, self.outbox)
        self.endpoint.write({"file_inbound_path": self.inbox, "file_outbound_path": self.outbox})

    @contextmanager
    def _raises(self, exception, pattern):
        """``assertRaisesRegex`` in a savepoint rolled back (Odoo's ``assertRaises``)."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def _files(self):
        return self.File.search([("endpoint_id", "=", self.endpoint.id)], order="id")

    def _pickup_and_run(self):
        """The cron, then every job it queued and the jobs those queued."""
        results = []
        with trap_jobs() as trap:
            self.env["logistics.endpoint"]._cron_file_pickup()
            done = 0
            while done < len(trap.enqueued_jobs):
                job = trap.enqueued_jobs[done]
                # a job queued by a failure recorded outside holds that closed cursor
                job.recordset = job.recordset.with_env(self.env)
                results.append(job.perform())
                done += 1
        return results

    # ------------------------------------------------------------------ inbound
    def test_pickup_queues_one_job_per_complete_file_on_the_endpoint_channel(self):
        _write(self.inbox, "a.txt", b"one")
        _write(self.inbox, "b.txt.part", b"still writing")
        _write(self.inbox, ".hidden", b"temporary")
        _write(self.inbox, "fresh.txt", b"just now", age=0)
        os.mkdir(os.path.join(self.inbox, "sub.txt"))
        with trap_jobs() as trap:
            self.assertEqual(self.env["logistics.endpoint"]._cron_file_pickup(), 1)
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            self.assertEqual(job.channel, self.endpoint.channel_name)
            self.assertEqual(job.args, ("a.txt",))
        # queued for real (a pending job row): the next runs queue nothing more
        self.assertEqual(self.env["logistics.endpoint"]._cron_file_pickup(), 1)
        jobs = self.env["queue.job"].search([("channel", "=", self.endpoint.channel_name)])
        self.assertEqual((len(jobs), jobs.state, jobs.args), (1, "pending", ["a.txt"]))
        self.assertEqual(self.env["logistics.endpoint"]._cron_file_pickup(), 0)
        # a job that started is not queued again either (queue_job's identity key
        # covers pending and enqueued jobs only)
        self.env.cr.execute(SQL("UPDATE queue_job SET state = 'started' WHERE id = %s", jobs.id))
        self.assertEqual(self.env["logistics.endpoint"]._cron_file_pickup(), 0)

    def test_a_file_no_addon_handles_fails_and_moves_to_failed_once(self):
        _write(self.inbox, "order.x12", b"ISA*00*")
        results = self._pickup_and_run()
        self.assertEqual(results[0], "order.x12: failed")
        file = self._files()
        self.assertEqual((file.direction, file.state, file.size), ("in", "failed", 7))
        self.assertIn("no handler for files of format none", file.error)
        self.assertEqual(file.sha256, files.sha256(b"ISA*00*"))
        self.assertEqual(file._file_data(), b"ISA*00*")
        self.assertTrue(file.moved)
        self.assertEqual(file.remote_path, f"failed/{file.id}-order.x12")
        self.assertEqual(os.listdir(os.path.join(self.inbox, "failed")), [f"{file.id}-order.x12"])
        self.assertNotIn("order.x12", os.listdir(self.inbox))
        self.assertEqual(self._pickup_and_run(), [])  # never queued again

    def test_the_same_content_twice_is_a_duplicate_not_handed_on(self):
        _write(self.inbox, "first.txt", b"same bytes")
        _write(self.inbox, "second.txt", b"same bytes")
        self._pickup_and_run()
        first, second = self._files()
        self.assertEqual((first.name, first.state), ("first.txt", "failed"))
        self.assertEqual((second.name, second.state), ("second.txt", "duplicate"))
        self.assertEqual(second.duplicate_of_id, first)
        self.assertFalse(second.error)
        self.assertEqual(
            os.listdir(os.path.join(self.inbox, "processed")), [f"{second.id}-second.txt"]
        )

    def test_links_large_files_are_refused_and_moved_aside_target_untouched(self):
        outside = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, outside)
        secret = _write(outside, "secret.txt", b"do not read")
        os.symlink(secret, os.path.join(self.inbox, "link.txt"))
        _age(os.path.join(self.inbox, "link.txt"))
        _write(self.inbox, "big.txt", b"x" * 1001)
        results = self._pickup_and_run()
        self.assertEqual(len(results), 4)  # two receive jobs, two moves
        by_name = {f.name: f for f in self._files()}
        self.assertEqual({f.state for f in by_name.values()}, {"failed"})
        self.assertIn("symbolic link", by_name["link.txt"].error)
        self.assertIn("larger than the limit of 1000 bytes", by_name["big.txt"].error)
        self.assertFalse(by_name["link.txt"].attachment_id)
        moved = os.path.join(self.inbox, "failed", f"{by_name['link.txt'].id}-link.txt")
        self.assertTrue(os.path.islink(moved))
        with open(secret, "rb") as handle:
            self.assertEqual(handle.read(), b"do not read")
        self.assertEqual(self._pickup_and_run(), [])

    # ----------------------------------------------------------------- outbound
    def test_a_stock_user_sends_a_file_uploaded_atomically(self):
        picking_type = self.env.ref("stock.picking_type_out")
        endpoint = self.endpoint.with_user(self.stock_user)
        with trap_jobs() as trap:
            file = endpoint._file_send("ORDER-1.x12", b"ISA*payload~", record=picking_type)
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            self.assertEqual(job.channel, self.endpoint.channel_name)
            file = file.sudo()
            self.assertEqual(
                (file.direction, file.state, file.create_uid), ("out", "pending", self.stock_user)
            )
            self.assertEqual((file.res_model, file.res_id), ("stock.picking.type", picking_type.id))
            self.assertEqual(os.listdir(self.outbox), [])
            self.assertEqual(job.perform(), "ORDER-1.x12: sent")
        self.assertEqual(file.state, "sent")
        self.assertEqual(os.listdir(self.outbox), ["ORDER-1.x12"])
        with open(os.path.join(self.outbox, "ORDER-1.x12"), "rb") as handle:
            self.assertEqual(handle.read(), b"ISA*payload~")

    def test_bad_input_to_send_is_refused_and_nothing_stored(self):
        endpoint = self.endpoint.with_user(self.stock_user)
        cases = [
            ("../etc/passwd", b"x", "is not a valid file name"),
            ("sub/name.txt", b"x", "is not a valid file name"),
            ("name.txt.part", b"x", "temporary name"),
            ("name.txt", b"", "no content"),
            ("name.txt", "text, not bytes", "no content"),
        ]
        with trap_jobs() as trap:
            for name, data, message in cases:
                with self.subTest(name=name), self._raises(UserError, message):
                    endpoint._file_send(name, data)
            trap.assert_jobs_count(0)
        self.endpoint.file_outbound_path = False
        with self._raises(UserError, "cannot send files"):
            endpoint._file_send("ok.txt", b"x")
        self.assertFalse(self._files())
        self.assertEqual(os.listdir(self.outbox), [])

    def test_an_upload_that_cannot_work_fails_and_can_be_sent_again(self):
        self.endpoint.file_outbound_path = os.path.join(self.outbox, "missing")
        with trap_jobs() as trap:
            file = self.endpoint._file_send("late.txt", b"data")
            self.assertEqual(trap.enqueued_jobs[0].perform(), f"late.txt: failed, {file.error}")
        self.assertEqual(file.state, "failed")
        self.assertIn("no such folder", file.error)
        with self.assertRaises(AccessError):
            file.with_user(self.ls_user).action_send_again()
        os.mkdir(os.path.join(self.outbox, "missing"))
        with trap_jobs() as trap:
            file.with_user(self.ls_manager).action_send_again()
            self.assertEqual(file.state, "pending")
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].perform(), "late.txt: sent")
        self.assertEqual(os.listdir(os.path.join(self.outbox, "missing")), ["late.txt"])

    # --------------------------------------------------------- configuration
    def test_only_system_admins_change_where_files_go_and_hosts_are_checked(self):
        endpoint = self.endpoint.with_user(self.ls_manager)
        with self._raises(AccessError, "Only system administrators"):
            endpoint.file_inbound_path = "/etc"
        self.assertEqual(self.endpoint.file_inbound_path, self.inbox)
        with self._raises(ValidationError, "absolute path"):
            self.endpoint.file_inbound_path = "relative/in"
        with self._raises(ValidationError, "host key"):
            self.endpoint.sftp_host_key = "not a key"
        self.env["ir.config_parameter"].set_param("logistics_sync.allow_http_loopback", "False")
        for host, reason in (("10.0.0.5", "private address"), ("127.0.0.1", "loopback")):
            with self.subTest(host=host), self._raises(ValidationError, reason):
                self.endpoint.write(
                    {"file_transport": "sftp", "sftp_host": host, "sftp_username": "u"}
                )
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.file_transport, "folder")
        # the secrets are for system administrators only
        self.assertFalse(
            self.env["logistics.endpoint"]
            .with_user(self.ls_manager)
            ._fields["sftp_password"]
            .is_accessible(self.env(user=self.ls_manager))
        )
