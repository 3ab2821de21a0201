# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import binascii
import json
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError

from ..fields import BigInteger
from ..lib import milestones
from ..lib.errors import PermanentEventError

_logger = logging.getLogger(__name__)

# Only these fields move once an event is stored (CONTRACT: events are immutable).
PROCESSING_FIELDS = frozenset(
    {
        "state",
        "picking_id",
        "processed_at",
        "applied_at",
        "attempts",
        "last_error",
        "error_class",
        "error_traceback",
        "first_failure_at",
        "last_failure_at",
        "next_attempt_at",
        "wait_reason",
        "wait_until",
        "wait_alerted",
        "replay_count",
        "replayed_by_id",
        "replayed_at",
        "discarded_by_id",
        "discarded_at",
        "discard_reason",
    }
)
# Partial indexes of logistics_event (name, expressions, condition).  Rows leave
# them once processed, so they stay small; applied history is never in them.
EVENT_INDEXES = (
    # processing (endpoint, received), stale safety net, retries, waits, monitoring
    (
        "logistics_event_open_state_index",
        ["endpoint_id", "state"],
        "state IN ('received', 'waiting', 'failed', 'dead')",
    ),
    # waiting events woken when their transfer appears (stock.picking)
    ("logistics_event_waiting_shipment_ref_index", ["shipment_ref"], "state = 'waiting'"),
    ("logistics_event_waiting_tracking_ref_index", ["tracking_ref"], "state = 'waiting'"),
)
# Indexes of earlier versions that no query needs (dropped by the 18.0.1.2.0 migration).
DROPPED_INDEXES = tuple(
    f"logistics_event__{name}_index"
    for name in (
        "endpoint_id",
        "company_id",
        "external_id",
        "shipment_ref",
        "event_type",
        "milestone",
        "occurred_at",
        "tracking_ref",
        "state",
    )
)
# What anyone with write access may touch (the chatter and Odoo's bookkeeping).
BOOKKEEPING_FIELDS = frozenset(set(models.MAGIC_COLUMNS) | {"message_main_attachment_id"})


class LogisticsEvent(models.Model):
    _name = "logistics.event"
    _description = "Logistics Sync Event"
    _inherit = ["mail.thread"]
    _order = "received_at desc, id desc"
    _rec_name = "external_id"
    _check_company_auto = True

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one("res.company", related="endpoint_id.company_id", store=True)
    external_id = fields.Char(string="Event ID", required=True)
    shipment_ref = fields.Char(string="Shipment reference", required=True)
    event_type = fields.Selection(
        [("milestone", "Milestone")],
        string="Type",
        default="milestone",
        required=True,
        help="Milestone events move the shipment; typed events (declared by addons, "
        "e.g. TMS answers or freight charges) carry their own data in the raw payload.",
    )
    # required by the milestone schema, absent from typed events
    milestone = fields.Selection(milestones.SELECTION)
    occurred_at = fields.Datetime(string="Occurred", required=True)
    sequence = BigInteger(string="Source sequence")
    tracking_ref = fields.Char(string="Tracking number")
    carrier_code = fields.Char(string="Carrier")
    reason = fields.Char()
    description = fields.Text()
    location_city = fields.Char(string="City")
    location_postal_code = fields.Char(string="Postal code")
    location_country_code = fields.Char(string="Country")
    location_lat = fields.Float(string="Latitude", digits=(10, 6))
    location_lon = fields.Float(string="Longitude", digits=(10, 6))
    eta = fields.Datetime(string="ETA")
    pod_signed_by = fields.Char(string="POD signed by")
    source_status = fields.Char(string="Sender's status")
    payload = fields.Text(string="Raw payload", required=True)
    payload_hash = fields.Char(string="Payload hash", required=True)
    received_at = fields.Datetime(
        string="Received", required=True, default=fields.Datetime.now, index=True
    )
    lag_seconds = fields.Float(
        string="Sender delay (s)",
        compute="_compute_lag",
        store=True,
        help="Received minus occurred, in seconds.",
    )
    # ---- processing state (the only part that changes)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("waiting", "Waiting"),
            ("applied", "Applied"),
            ("superseded", "Superseded"),
            ("failed", "Failed (retrying)"),
            ("dead", "Dead letter"),
            ("discarded", "Discarded"),
        ],
        default="received",
        required=True,
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Transfer", index="btree_not_null", check_company=True
    )
    processed_at = fields.Datetime(string="Processed")
    applied_at = fields.Datetime(string="Applied")
    attempts = fields.Integer(default=0)
    last_error = fields.Text(string="Last error")
    error_class = fields.Char(string="Error type")
    error_traceback = fields.Text(string="Traceback", groups="base.group_system")
    first_failure_at = fields.Datetime(string="First failure")
    last_failure_at = fields.Datetime(string="Last failure")
    next_attempt_at = fields.Datetime(string="Next attempt")
    wait_reason = fields.Selection(
        [("unknown_ref", "Unknown shipment reference"), ("needs_dispatch", "Waiting for dispatch")],
        string="Waiting for",
    )
    wait_until = fields.Datetime(string="Waits until")
    wait_alerted = fields.Boolean(string="Waiting alert sent")
    replay_count = fields.Integer(string="Replays", default=0)
    replayed_by_id = fields.Many2one("res.users", string="Replayed by")
    replayed_at = fields.Datetime(string="Last replayed")
    discarded_by_id = fields.Many2one("res.users", string="Discarded by")
    discarded_at = fields.Datetime(string="Discarded")
    discard_reason = fields.Text(string="Discard reason")

    _sql_constraints = [
        (
            "endpoint_external_unique",
            "unique(endpoint_id, external_id)",
            "An event id can be received only once per endpoint.",
        )
    ]

    def init(self):
        """The indexes the queries need, and no more: every index is written by each
        ingested row (see docs/benchmarks.md, "Indexes of logistics_event").  The unique
        (endpoint_id, external_id) index serves lookups by endpoint and id,
        ``received_at`` the lists, time windows and retention, ``picking_id`` the
        transfer's events; the partial ones below are written only for open events."""
        res = super().init()
        for name, expressions, where in EVENT_INDEXES:
            tools.create_index(self.env.cr, name, self._table, expressions, where=where)
        return res

    @api.depends("received_at", "occurred_at")
    def _compute_lag(self):
        for event in self:
            if event.received_at and event.occurred_at:
                event.lag_seconds = (event.received_at - event.occurred_at).total_seconds()
            else:
                event.lag_seconds = 0.0

    def write(self, vals):
        frozen = set(vals) - PROCESSING_FIELDS - BOOKKEEPING_FIELDS
        if frozen:
            raise UserError(
                self.env._(
                    "Logistics events are immutable once received; "
                    "only their processing state changes (tried to write %(fields)s).",
                    fields=", ".join(sorted(frozen)),
                )
            )
        processing = set(vals) & PROCESSING_FIELDS
        if processing and not self.env.su:
            # The pipeline (jobs, crons, the webhook) and its actions (replay,
            # discard) write the processing state as superuser; a user writing it
            # directly, e.g. over RPC, would rewrite the history (a dead letter
            # marked applied).
            raise AccessError(
                self.env._(
                    "The processing state of logistics events changes only through the "
                    "pipeline and its actions (Replay, Discard); tried to write %(fields)s.",
                    fields=", ".join(sorted(processing)),
                )
            )
        return super().write(vals)

    def _set_processing(self, vals):
        """Move the processing state.  sudo: only the pipeline may (see ``write``);
        the values come from the processing rules, never from a request.

        Inside grouped processing (context ``logistics_event_writes``) the values
        are collected and written once per set of values at the end of the group."""
        writes = self.env.context.get("logistics_event_writes")
        if writes is not None:
            writes.setdefault(tuple(sorted(vals.items())), []).extend(self.ids)
            return True
        return self.sudo().write(vals)

    # ------------------------------------------------------------------ actions
    def action_replay(self):
        """Run dead, failed or waiting events again from their stored payload.

        Idempotent: applied and superseded events are left as they are.
        """
        self.env["logistics.endpoint"].check_access("write")
        todo = self.filtered(lambda e: e.state in ("dead", "failed", "waiting", "discarded"))
        now = fields.Datetime.now()
        for event in todo:
            event._set_processing(
                {
                    "state": "received",
                    "attempts": 0,
                    "wait_until": False,
                    "wait_reason": False,
                    "replay_count": event.replay_count + 1,
                    "replayed_by_id": self.env.uid,
                    "replayed_at": now,
                }
            )
            event.message_post(body=self.env._("Replayed by %(user)s.", user=self.env.user.name))
        if todo:
            # sudo: the job is pipeline work (it moves the processing state), queued
            # for events the manager may replay (checked above)
            todo.sudo()._enqueue_process("Logistics Sync: replay events")
        skipped = len(self) - len(todo)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if todo else "warning",
                "message": self.env._(
                    "%(count)s event(s) queued for replay; %(skipped)s already applied or "
                    "superseded left unchanged.",
                    count=len(todo),
                    skipped=skipped,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_discard(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.event.discard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_ids": self.ids, "active_model": self._name},
        }

    def _discard(self, reason):
        self.env["logistics.endpoint"].check_access("write")
        todo = self.filtered(lambda e: e.state in ("dead", "failed", "waiting"))
        now = fields.Datetime.now()
        todo._set_processing(
            {
                "state": "discarded",
                "discarded_by_id": self.env.uid,
                "discarded_at": now,
                "discard_reason": reason,
            }
        )
        for event in todo:
            event.message_post(
                body=Markup("%s<br/>%s")
                % (self.env._("Discarded by %(user)s:", user=self.env.user.name), reason)
            )
        return todo

    def action_open_picking(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": self.picking_id.id,
            "view_mode": "form",
        }

    # -------------------------------------------------------------------- crons
    @api.model
    def _cron_check_waiting(self, limit=1000):
        """Retry unknown references, raise alerts for long waits, expire old waits."""
        now = fields.Datetime.now()
        unknown = self.search(
            [("state", "=", "waiting"), ("wait_reason", "=", "unknown_ref")],
            limit=limit,
            order="wait_until",
        )
        overdue = self.search(
            [
                ("state", "=", "waiting"),
                ("wait_reason", "=", "needs_dispatch"),
                ("wait_alerted", "=", False),
                ("wait_until", "<=", now),
            ],
            limit=limit,
        )

        def check(endpoint):
            unknown.filtered(lambda e: e.endpoint_id == endpoint)._enqueue_process(
                "Logistics Sync: retry unknown references", identity="logistics_sync-unknown-ref"
            )
            late = overdue.filtered(lambda e: e.endpoint_id == endpoint)
            for event in late:
                event.picking_id._logistics_alert(
                    event,
                    self.env._(
                        "%(milestone)s from %(endpoint)s has waited since %(since)s for this "
                        "transfer to be validated.",
                        milestone=dict(milestones.SELECTION)[event.milestone],
                        endpoint=event.endpoint_id.name,
                        since=event.processed_at or event.received_at,
                    ),
                )
            late._set_processing({"wait_alerted": True})

        # one endpoint at a time: a failing one never stops the others
        (unknown | overdue).endpoint_id._cron_each(
            "check_waiting", self.env._("Check waiting events"), check
        )
        self.env["ir.cron"]._notify_progress(done=len(unknown) + len(overdue), remaining=0)

    @api.autovacuum
    def _gc_expired_events(self):
        """Purge processed events past their endpoint's retention; dead letters stay."""
        now = fields.Datetime.now()

        def purge(endpoint):
            old = self.search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("state", "in", ("applied", "superseded", "discarded")),
                    ("received_at", "<", now - timedelta(days=endpoint.retention_days)),
                ],
                limit=10000,
            )
            old.unlink()

        endpoints = self.env["logistics.endpoint"].with_context(active_test=False).search([])
        endpoints.filtered(lambda e: e.retention_days > 0)._cron_each(
            "purge_events", self.env._("Purge processed events"), purge
        )

    # --------------------------------------------------------------- helpers
    def _pod_document(self):
        """The proof-of-delivery document of the raw payload: (bytes, mimetype) or None."""
        self.ensure_one()
        pod = (json.loads(self.payload).get("pod") or {}) if self.payload else {}
        if not pod.get("document_b64"):
            return None
        try:
            return base64.b64decode(pod["document_b64"], validate=True), pod.get(
                "document_mimetype", "application/pdf"
            )
        except (binascii.Error, ValueError):
            raise PermanentEventError(
                self.env._("The proof of delivery document is not valid base64.")
            ) from None
