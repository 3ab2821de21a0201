# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..adapters import TmsClient
from odoo.addons.logistics_sync_base.jobs import run_job


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    tms_trigger = fields.Selection(
        [
            ("ready", "Real time: when the transfer is ready"),
            ("sale_confirm", "Real time: when the sales order is confirmed"),
            ("batch", "Batch window: every N minutes"),
        ],
        string="Release trigger",
        default="ready",
        required=True,
    )
    tms_batch_size = fields.Integer(
        string="Transfers per call", default=200, help="Batch windows: at most 500 per call."
    )
    tms_batch_minutes = fields.Integer(string="Window (minutes)", default=15)
    tms_batch_last_at = fields.Datetime(string="Last window", readonly=True, copy=False)
    tms_ack_minutes = fields.Integer(
        string="Answer deadline (minutes)",
        default=30,
        help="A release the TMS has not answered within this time raises an exception activity.",
    )
    tms_service_level = fields.Selection(
        [("express", "Express"), ("standard", "Standard"), ("economy", "Economy")],
        string="Service level",
        default="standard",
        required=True,
    )
    tms_pickup_window_hours = fields.Integer(
        string="Pickup window (hours)",
        default=4,
        help="The pickup window sent to the TMS: from the transfer's scheduled date, this "
        "many hours, unless its warehouse has pickup hours.",
    )
    tms_delivery_window_hours = fields.Integer(
        string="Delivery window (hours)",
        default=8,
        help="The delivery window sent to the TMS: from the transfer's deadline, this "
        "many hours, unless the delivery address has receiving hours.",
    )
    tms_carrier_codes = fields.Char(
        string="Known carrier codes",
        help="Comma-separated carrier codes the TMS may assign; an answer naming another "
        "is refused (dead letter). Empty: any.",
    )
    tms_route_ids = fields.One2many("logistics.tms.route", "endpoint_id", string="Routing rules")
    tms_release_count = fields.Integer(string="TMS releases", compute="_compute_tms_release_count")

    _sql_constraints = [
        (
            "tms_batch_size_range",
            "CHECK(tms_batch_size >= 1 AND tms_batch_size <= 500)",
            "Transfers per call: between 1 and 500.",
        ),
        (
            "tms_windows_positive",
            "CHECK(tms_pickup_window_hours > 0 AND tms_delivery_window_hours > 0)",
            "The pickup and delivery windows last at least one hour.",
        ),
    ]

    def _compute_tms_release_count(self):
        counts = dict(
            self.env["logistics.tms.release"]._read_group(
                [("endpoint_id", "in", self.ids)], ["endpoint_id"], ["__count"]
            )
        )
        for endpoint in self:
            endpoint.tms_release_count = counts.get(endpoint, 0)

    def action_view_tms_releases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_tms.logistics_tms_release_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        return action

    def _tms_known_carrier(self, code):
        self.ensure_one()
        known = {c.strip().lower() for c in (self.tms_carrier_codes or "").split(",") if c.strip()}
        return not known or not code or code.strip().lower() in known

    def _tms_client(self):
        """The TMS client of this endpoint (timeout, Bearer token, SSRF-pinned session)."""
        self.ensure_one()
        if not self.base_url:
            raise ValidationError(self.env._("Endpoint %(name)s has no base URL.", name=self.name))
        # sudo: the token is readable by system administrators only; the job uses it
        token = self.sudo().auth_token if self.auth_type == "bearer" else None
        return TmsClient(
            self.base_url,
            token,
            timeout=self.http_timeout or 10.0,
            allow_http_loopback=self._allow_http_loopback(),
        )

    # ------------------------------------------------------------ batch windows
    @api.model
    def _cron_tms_batch(self):
        """Open the window of every batch endpoint whose N minutes are over: one job
        each, on its channel (the job sends one call per ``tms_batch_size``)."""
        now = fields.Datetime.now()
        due = self.search([("kind", "=", "tms"), ("tms_trigger", "=", "batch")]).filtered(
            lambda e: not e.tms_batch_last_at
            or e.tms_batch_last_at + timedelta(minutes=max(1, e.tms_batch_minutes)) <= now
        )

        def open_window(endpoint):
            endpoint.tms_batch_last_at = now
            endpoint._tms_enqueue_batch()

        due = due._cron_each("tms_batch", self.env._("TMS batch window"), open_window)
        self.env["ir.cron"]._notify_progress(done=len(due), remaining=0)
        return due

    def _tms_batch_size(self):
        return max(1, min(500, self.tms_batch_size))

    def _tms_enqueue_batch(self):
        """Open this endpoint's window: one job per ``tms_batch_size`` releases
        waiting (at least one), on its channel, so the calls of a window run side
        by side as far as the channel's capacity allows.  Each job takes the
        releases no other job holds (``_tms_batch_due``): each is sent once."""
        self.ensure_one()
        waiting = self.env["logistics.tms.release"]._tms_batch_due_count(self)
        for index in range(max(1, -(-waiting // self._tms_batch_size()))):
            self.with_delay(
                channel=self.channel_name,
                identity_key=f"logistics_sync-tms-batch-{self.id}-{index}",
                description=f"Logistics Sync: TMS batch window ({self.code})",
            )._job_tms_batch()

    def _job_tms_batch(self):
        """One call with up to ``tms_batch_size`` releases waiting for the window
        that no other job of the window holds; those queued since the window opened
        wait for the next one."""
        self.ensure_one()
        Release = self.env["logistics.tms.release"]
        memo = {}

        def work():
            releases = Release._tms_batch_due(self, self._tms_batch_size())
            stored = releases._tms_send_batch(self, memo) if releases else 0
            return f"{stored} releases stored by the TMS"

        return run_job(self.env, work, lambda exc: Release._tms_batch_error(exc, memo))
