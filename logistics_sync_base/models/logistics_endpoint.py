# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..lib.locks import SnapshotConflict

_logger = logging.getLogger(__name__)

CHANNEL_ROOT = "root.logistics_sync"
SECRET_FIELDS = (
    "signing_secret",
    "previous_signing_secret",
    "auth_password",
    "auth_token",
    "auth_api_key",
    "oauth_client_secret",
)


class LogisticsEndpoint(models.Model):
    _name = "logistics.endpoint"
    _description = "Logistics Sync Endpoint"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        copy=False,
        tracking=True,
        help="Used in the webhook URL /logistics_sync/v1/events/<code>: "
        "lowercase letters, digits, '-' and '_'.",
    )
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [
            ("carrier", "Carrier"),
            ("tms", "TMS"),
            ("wms", "3PL / WMS"),
            ("edi", "EDI gateway"),
            ("other", "Other"),
        ],
        string="Kind",
        required=True,
        default="carrier",
        tracking=True,
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        help="The address the sender posts its events to: give it to the carrier, TMS or tracking provider.",
        compute="_compute_webhook_url",
    )
    # ---- processing
    channel_name = fields.Char(
        string="Job channel",
        help="The queue_job channel every job of this endpoint runs on.",
        compute="_compute_channel_name",
        store=True,
    )
    channel_capacity = fields.Integer(
        string="Jobs at a time",
        default=1,
        help="Jobs of this endpoint run at most this many at a time, in a queue_job "
        "channel of its own: a slow or stuck endpoint never holds the jobs of another. "
        "The runner reads it when it first sees a job of the endpoint, and again every "
        "30 seconds (no restart), unless the runner's channels option names the channel.",
    )
    max_attempts = fields.Integer(
        string="Max attempts",
        help="Tries of an event or a call before it becomes a dead letter or a failure.",
        default=5,
    )
    retry_base_seconds = fields.Integer(
        string="First retry after (s)",
        help="Seconds before the first retry; each next retry waits about twice as long, with jitter.",
        default=30,
    )
    unknown_ref_wait_minutes = fields.Integer(
        string="Wait for unknown shipments (min)",
        default=60,
        help="How long an event for an unknown shipment waits for the transfer "
        "to appear before it becomes a dead letter.",
    )
    waiting_alert_minutes = fields.Integer(
        string="Alert on waiting events after (min)",
        default=240,
        help="An event waiting for the dispatch longer than this raises an exception activity.",
    )
    retention_days = fields.Integer(
        string="Keep events (days)",
        default=90,
        help="Applied, superseded and discarded events older than this are purged "
        "(raw payloads can hold personal data). Dead letters are kept until resolved.",
    )
    responsible_user_id = fields.Many2one("res.users", string="Responsible", tracking=True)
    responsible_group_id = fields.Many2one(
        "res.groups",
        string="Responsible group",
        help="Exception activities go to its first active internal user (by name) when no "
        "responsible is set.",
    )
    event_ids = fields.One2many("logistics.event", "endpoint_id", string="Events")
    event_count = fields.Integer(string="Event count", compute="_compute_counts")
    dead_count = fields.Integer(string="Dead letter count", compute="_compute_counts")

    _sql_constraints = [
        ("code_unique", "unique(code)", "The endpoint code must be unique."),
        ("attempts_positive", "CHECK(max_attempts >= 1)", "Max attempts must be at least 1."),
        ("capacity_positive", "CHECK(channel_capacity >= 1)", "Capacity must be at least 1."),
    ]

    @api.depends("code")
    def _compute_channel_name(self):
        for endpoint in self:
            endpoint.channel_name = f"{CHANNEL_ROOT}.{endpoint.code}" if endpoint.code else False

    @api.depends("code")
    def _compute_webhook_url(self):
        # sudo: the public base URL, shown to whoever may read the endpoint
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for endpoint in self:
            endpoint.webhook_url = (
                f"{base}/logistics_sync/v1/events/{endpoint.code}" if endpoint.code else False
            )

    def _compute_counts(self):
        groups = self.env["logistics.event"]._read_group(
            [("endpoint_id", "in", self.ids)], ["endpoint_id", "state"], ["__count"]
        )
        totals, dead = {}, {}
        for endpoint, state, count in groups:
            totals[endpoint.id] = totals.get(endpoint.id, 0) + count
            if state == "dead":
                dead[endpoint.id] = count
        for endpoint in self:
            endpoint.event_count = totals.get(endpoint.id, 0)
            endpoint.dead_count = dead.get(endpoint.id, 0)

    @api.constrains("code")
    def _check_code(self):
        allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        for endpoint in self:
            if not endpoint.code or not set(endpoint.code) <= allowed or len(endpoint.code) > 64:
                raise ValidationError(
                    self.env._(
                        "Endpoint code %(code)r: use 1 to 64 lowercase letters, digits, '-' or '_'.",
                        code=endpoint.code,
                    )
                )

    # ------------------------------------------------------------------ helpers
    @api.model
    def _runner_channels(self):
        """A queue_job runner ``channels`` setting for these endpoints.

        Only the root's capacity: the runner gives every endpoint its own channel with
        the endpoint's capacity (jobrunner.py), also for endpoints created later.  The
        root holds the busiest endpoint with room to spare, so one stuck endpoint never
        takes every slot.  (Naming ``root.logistics_sync`` or an endpoint's channel
        there still works, and freezes that capacity until the next restart.)
        """
        # sudo: the runner's configuration covers every company's endpoints
        capacities = self.sudo().search([]).mapped("channel_capacity")
        return f"root:{max([4] + [capacity + 2 for capacity in capacities])}"

    def _responsible_users(self):
        """Who is responsible for this endpoint (exception activities go to the first):

        1. its *Responsible* user, when active;
        2. else the active internal users of its *Responsible group*, by name;
        3. else the administrator (``base.user_admin``), when active;
        4. else the current user.

        No endpoint (a carrier without one): from 3 on.
        """
        # sudo: who is responsible is configuration; whoever triggers an exception
        # (a stock user validating, a job) may not read groups or users
        endpoint = self[:1].sudo()
        users = endpoint.responsible_user_id.filtered("active")
        if not users:
            users = endpoint.responsible_group_id.users.filtered(
                lambda user: user.active and not user.share
            )
        if not users:
            admin = self.env.ref("base.user_admin", raise_if_not_found=False)
            users = admin.sudo().filtered("active") if admin else self.env["res.users"]
        if not users:
            users = self.env.user
        return self.env["res.users"].browse(users.ids)

    # ------------------------------------------------------------------ actions
    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_base.logistics_event_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action

    def action_view_dead_letters(self):
        action = self.action_view_events()
        action["domain"] = [("endpoint_id", "=", self.id), ("state", "=", "dead")]
        return action

    # ------------------------------------------------------------------- jobs
    def _enqueue_processing(self, hook=None):
        """Make sure a job will apply this endpoint's received events.

        A request may rely on a job that is still ``pending`` only if that job
        cannot start before the request commits: the request takes a share lock
        on the job row, which the job runner's ``UPDATE ... state = 'enqueued'``
        waits for.  So the job starts after the commit and its transaction sees
        the new events.  A job that is enqueued, started, or locked by the runner
        at this moment does not count: then a new job is queued.  Under load most
        requests find a pending job and skip creating one (the expensive part).
        """
        for endpoint in self:
            channel, code = (
                (hook.channel_name, hook.code) if hook else (endpoint.channel_name, endpoint.code)
            )
            # Only a short webhook request (``hook`` given) may hold the share lock:
            # the single-threaded runner waits on it.  Jobs and crons just queue.
            if not (hook and endpoint._lock_pending_job(channel)):
                endpoint.with_delay(
                    channel=channel,
                    description=f"Logistics Sync: process events of {code}",
                )._job_process_pending()

    def _lock_pending_job(self, channel):
        self.ensure_one()
        cr = self.env.cr
        self.env["queue.job"].flush_model(["state", "channel"])
        # One round trip: a savepoint (left open, the commit releases it) and the lock.
        try:
            cr.execute(
                SQL(
                    "SAVEPOINT logistics_pending_job;"
                    " SELECT id FROM queue_job WHERE state = 'pending' AND channel = %s"
                    " AND (eta IS NULL OR eta <= (now() AT TIME ZONE 'UTC'))"
                    " AND model_name = %s AND method_name = '_job_process_pending'"
                    " LIMIT 1 FOR SHARE SKIP LOCKED",
                    channel,
                    self._name,
                ),
                log_exceptions=False,
            )
            return bool(cr.fetchone())
        except psycopg2.errors.SerializationFailure:
            # the runner enqueued it after our snapshot: it may already be running
            cr.execute("ROLLBACK TO SAVEPOINT logistics_pending_job")
            return False

    @api.model
    def _cron_process_stale(self, older_than_seconds=60):
        """Safety net: endpoints whose received events were not picked up get a job."""
        stale = self.env["logistics.event"]._read_group(
            [
                ("state", "=", "received"),
                (
                    "received_at",
                    "<",
                    fields.Datetime.subtract(fields.Datetime.now(), seconds=older_than_seconds),
                ),
            ],
            ["endpoint_id"],
        )
        endpoints = (
            self.browse([endpoint.id for (endpoint,) in stale])
            ._without_queued_processing()
            ._cron_each(
                "process_stale",
                self.env._("Process stale events"),
                lambda endpoint: endpoint._enqueue_processing(),
            )
        )
        # the rate limit's rows that left the window (every minute keeps the table small)
        self.env["logistics.rate.hit"]._gc_hits()
        self.env["ir.cron"]._notify_progress(done=len(endpoints), remaining=0)
        return endpoints

    def _without_queued_processing(self):
        """These endpoints minus those that already have a "process events" job waiting
        to start (pending, possibly postponed, or enqueued): that job will see their
        received events, so a cron never stacks another one during a backlog."""
        if not self:
            return self
        # sudo: queue.job is technical (administrators only); only its channel is read
        queued = (
            self.env["queue.job"]
            .sudo()
            ._read_group(
                [
                    ("state", "in", ("pending", "enqueued")),
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_job_process_pending"),
                    ("channel", "in", self.mapped("channel_name")),
                ],
                ["channel"],
            )
        )
        busy = {channel for (channel,) in queued}
        return self.filtered(lambda endpoint: endpoint.channel_name not in busy)

    def _job_process_pending(self, limit=500):
        """Apply this endpoint's received events, oldest first, in one transaction.

        Many events per job: queue_job dispatches every job through an HTTP request,
        so one job per event would cap processing at the HTTP rate.
        """
        self.ensure_one()
        try:
            events = self.env["logistics.event"]._claim_received(self, limit)
            events._process()
        except SnapshotConflict:
            # another job of this endpoint changed these rows after our snapshot: a
            # new job (new transaction) takes over at once.  Measured with
            # bench/pipeline against RetryableJobError(seconds=1): faster (README).
            self.env.invalidate_all()
            self._enqueue_processing()
            return "re-queued: another job of the endpoint was working on the same rows"
        if len(events) == limit:
            self._enqueue_processing()
        return f"{len(events)} events processed"
