# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every release of a transfer's documents to an external system shares: the
TMS releases (``logistics_sync_tms``) and the 3PL documents (``logistics_sync_3pl``).

The fields of the version and of the request in flight, and the order of work
of their sync job (``lib/release.py`` holds the plain-value part: digests,
idempotency keys):

- a change of the transfer bumps ``change_seq`` and queues the release's job
  (``_release_touch``, ``_release_request_cancel``);
- the job claims its release (``_release_lock``: an advisory lock, no row lock
  while the external system answers) and runs through base's ``jobs.run_job``:
  a transient failure keeps the request in flight (operation, version,
  idempotency key, body) and the error outside the job's transaction, then
  retries (``_release_sync_error``), so a retry sends exactly the same request.

A model using it defines ``_release_sync(memo)`` (the work of one job, which
puts the request it sends in ``memo["pending"]``) and ``_release_enqueue()``;
``_release_closed_states`` (no more changes sent) and
``_release_requeue_states`` (states a retry moves back to ``queued``) tune it.
"""

from odoo import fields, models

from ..jobs import Retry, run_job
from ..lib.locks import claim
from odoo.addons.queue_job.exception import RetryableJobError


class LogisticsReleaseMixin(models.AbstractModel):
    _name = "logistics.release.mixin"
    _description = "Logistics Sync release of a transfer to an external system"

    _release_closed_states = ("cancelled",)
    _release_requeue_states = ()

    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        required=True,
        ondelete="cascade",
        readonly=True,
        check_company=True,
    )
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Sent to",
        required=True,
        ondelete="restrict",
        readonly=True,
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    version = fields.Integer(readonly=True, help="The last version sent or in flight.")
    sent_version = fields.Integer(
        readonly=True, help="The last version the external system stored."
    )
    sent_hash = fields.Char(string="Sent document hash", readonly=True)
    change_seq = fields.Integer(readonly=True, help="Bumped by each change of the transfer.")
    cancel_requested = fields.Boolean(string="Cancel requested", readonly=True)
    pending_key = fields.Char(string="Idempotency key", readonly=True)
    pending_payload = fields.Text(string="Request in flight", readonly=True)
    last_answer = fields.Text(string="Last answer", readonly=True)
    last_error = fields.Text(string="Last error", readonly=True)
    attempts = fields.Integer(readonly=True)
    sent_at = fields.Datetime(string="Sent", readonly=True)
    block_reason = fields.Text(string="Blocked because", readonly=True)
    exception = fields.Boolean(readonly=True, index=True)
    exception_reason = fields.Char(string="Exception reason", readonly=True)

    # ------------------------------------------------------------ hooks
    def _release_sync(self, memo):
        """The work of one sync job (the request it sends in ``memo["pending"]``)."""
        raise NotImplementedError

    def _release_enqueue(self):
        """Queue the sync job of these releases (one at a time per release)."""
        raise NotImplementedError

    def _release_alert(self, summary, note):
        """An exception activity for the endpoint's responsible."""
        raise NotImplementedError

    # ------------------------------------------------------------ changes
    def _release_touch(self):
        """The transfer changed: a new version follows, in order.  Never waits for
        a sync job in flight (it holds no row lock): this change goes out as the
        next version, after it."""
        live = self.filtered(lambda r: r.state not in self._release_closed_states)
        for release in live:
            release.write({"change_seq": release.change_seq + 1})
        live._release_enqueue()

    def _release_request_cancel(self):
        todo = self.filtered(
            lambda r: r.state not in self._release_closed_states and not r.cancel_requested
        )
        for release in todo:
            release.write({"cancel_requested": True, "change_seq": release.change_seq + 1})
        todo._release_enqueue()

    # ------------------------------------------------------------ the sync job
    def _release_run_sync(self):
        """Bring the external system up to date with this release (a job's body)."""
        self.ensure_one()
        memo = {}
        return run_job(
            self.env,
            lambda: self._release_sync(memo),
            lambda exc: self._release_sync_error(exc, memo),
        )

    def _release_sync_error(self, exc, memo):
        """``run_job``'s ``on_error``: trouble of the external system
        (``RetryableJobError`` from the outbound call or the circuit) keeps the
        request in flight for the retry."""
        if not isinstance(exc, RetryableJobError):
            return None
        pending, error = memo.get("pending"), str(exc)

        def record(env):
            env[self._name].browse(self.id)._release_keep_in_flight(pending, error)
            return Retry(error, exc.seconds, exc.ignore_retry)

        return record

    def _release_keep_in_flight(self, pending, error):
        """Before retrying (outside the job's transaction): the request in flight
        and the error."""
        values = {"last_error": error[:2000], "attempts": self.attempts + 1}
        if pending and pending.get("pending_op"):
            values.update(pending)
            if self.state in self._release_requeue_states:
                values["state"] = "queued"
        self.write(values)

    def _release_refused(self, reason, summary):
        """The external system refused the request in flight (a 4xx): stored, said
        on the transfer, an exception activity."""
        self.write(
            {
                "pending_op": False,
                "pending_payload": False,
                "pending_key": False,
                "last_error": reason,
                "exception": True,
                "exception_reason": reason[:250],
            }
        )
        self.picking_id.message_post(body=reason)
        self._release_alert(summary, reason)
        return reason

    def _release_lock(self):
        """Serialise the jobs of these releases; no row lock: a user's change of the
        transfer (which bumps ``change_seq``) never waits for the external system."""
        claim(self.env.cr, self._table, self.ids)

    def _release_pending_values(self):
        return {
            "pending_op": self.pending_op,
            "pending_key": self.pending_key,
            "pending_payload": self.pending_payload,
            "version": self.version,
        }

    def _release_key_prefix(self):
        """The database's prefix of idempotency keys (once per transaction: a batch
        asks for it per release)."""
        cache = self.env.cr.cache
        if "logistics_release_key_prefix" not in cache:
            dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")[:8]
            cache["logistics_release_key_prefix"] = f"odoo-{dbuuid}"
        return cache["logistics_release_key_prefix"]

    # ------------------------------------------------------------ actions
    def action_open_picking(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": self.picking_id.id,
            "view_mode": "form",
        }
