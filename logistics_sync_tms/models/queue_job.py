import logging

from odoo import models

_logger = logging.getLogger(__name__)


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        """A release's sync job turned failed (retries exhausted, an unexpected error,
        or set failed by hand): the release becomes an exception with an activity.

        queue_job stores a failure with this write, in a transaction of its own after
        rolling the job's back, so the mark survives the failure."""
        newly_failed = (
            self.filtered(
                lambda job: job.state != "failed"
                and job.model_name == "logistics.tms.release"
                and job.method_name == "_job_tms_sync"
            )
            if vals.get("state") == "failed"
            else self.browse()
        )
        result = super().write(vals)
        for job in newly_failed:
            try:
                with self.env.cr.savepoint():
                    # superuser: the pipeline's own bookkeeping, whoever queued the job
                    job.sudo().records.sudo().exists()._tms_job_failed(
                        job.exc_message or job.exc_name or job.result or ""
                    )
            except Exception:  # noqa: BLE001 - never lose the job's own failure record
                _logger.exception("Could not flag the release of failed job %s", job.uuid)
        return result
