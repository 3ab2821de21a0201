# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A release whose sync job exhausts its retries: queue_job stores the job failed,
and the release, its transfer and its sales order show an exception, with an
activity for the endpoint's responsible."""

from odoo import Command
from odoo.tests import TransactionCase, tagged

from .common import TmsCommon
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.job import Job


@tagged("post_install", "-at_install")
class TestJobFailed(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms(trigger="sale_confirm")
        cls.tms.max_attempts = 2
        cls.seller = plain_user(cls, "ls_tms_fail_seller", "sales_team.group_sale_salesman")

    def _run_as_the_runner(self, job):
        """One attempt, stored as queue_job's runner stores it (controllers/main.py)."""
        try:
            job.perform()
        except RetryableJobError as exc:
            job.postpone(result=str(exc), seconds=exc.seconds)
            job.set_pending(reset_retry=False)
            job.store()
            return "retry"
        except FailedJobError as exc:
            job.set_failed(exc_name="FailedJobError", exc_message=str(exc))
            job.store()
            return "failed"
        job.set_done()
        job.store()
        return "done"

    def test_exhausted_retries_flag_the_release_and_the_order(self):
        self.sim.script_faults({"kind": "503"}, {"kind": "503"}, {"kind": "503"})
        order = (
            self.env["sale.order"]
            .with_user(self.seller)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        order.action_confirm()  # a real, stored job
        release = order.picking_ids.sudo().tms_release_id
        stored = (
            self.env["queue.job"]
            .search([("model_name", "=", release._name), ("method_name", "=", "_job_tms_sync")])
            .filtered(lambda job: job.records.ids == release.ids)
        )
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored.max_retries, 2)
        outcomes = [
            self._run_as_the_runner(Job.load(self.env, stored.uuid)) for _attempt in range(2)
        ]
        self.assertEqual(outcomes, ["retry", "failed"])
        self.assertEqual(stored.state, "failed")
        self.assertTrue(release.exception)
        self.assertIn("not sent", release.exception_reason)
        self.assertIn("503", release.last_error)
        self.assertFalse(release.tms_ref)
        order.invalidate_recordset()
        self.assertTrue(order.logistics_exception)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", release.picking_id.id)]
        )
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn("TMS release failed", activity.summary)
        # requeued, then set failed by hand: failed again, one more activity
        stored.requeue()
        job = Job.load(self.env, stored.uuid)
        job.set_failed(exc_name="UserError", exc_message="stopped by hand")
        job.store()
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "stock.picking"), ("res_id", "=", release.picking_id.id)]
            ),
            2,
        )
        self.assertIn("stopped by hand", release.exception_reason)

    def test_other_jobs_failing_flag_nothing(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                ],
            }
        )
        job = order.with_delay().read(["name"])
        job.set_failed(exc_name="X", exc_message="boom")
        job.store()
        self.assertEqual(job.db_record().state, "failed")
        self.assertFalse(order.logistics_exception)
