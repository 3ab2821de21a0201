# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import binascii
import json
import logging
import traceback
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..lib import canonical, milestones
from ..lib.retry import backoff_seconds

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
    | set(models.MAGIC_COLUMNS)
    | {"message_main_attachment_id", "display_name"}
)


class PermanentEventError(Exception):
    """Processing can never succeed for this event as received: it goes to dead letters."""


def _forget_notes(notes, picking, kept):
    """A failed event's savepoint was rolled back: drop the notes it collected."""
    if picking:
        del notes.setdefault(picking.id, [])[kept:]


class SnapshotConflict(Exception):
    """Another job changed the rows this job wants after its snapshot was taken.

    Left to queue_job, such a serialization failure is postponed by 5 seconds and
    logged as an error; the job methods instead queue a fresh job at once (a new
    transaction sees the other job's work) and end.
    """


CONFLICT_CODES = ("40001", "40P01", "55P03")  # serialization, deadlock, lock not available


def locking(cr, query):
    """Run a locking query in a savepoint; a concurrency error -> SnapshotConflict."""
    try:
        with cr.savepoint(flush=False):
            cr.execute(query, log_exceptions=False)
            return cr.fetchall()
    except psycopg2.OperationalError as exc:
        if exc.pgcode in CONFLICT_CODES:
            raise SnapshotConflict(exc.pgcode) from None
        raise


class LogisticsEvent(models.Model):
    _name = "logistics.event"
    _description = "Logistics Sync Event"
    _inherit = ["mail.thread"]
    _order = "received_at desc, id desc"
    _rec_name = "external_id"
    _check_company_auto = True

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="restrict", index=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company", related="endpoint_id.company_id", store=True, index=True
    )
    external_id = fields.Char(string="Event ID", required=True, index=True)
    shipment_ref = fields.Char(required=True, index=True)
    milestone = fields.Selection(milestones.SELECTION, required=True, index=True)
    occurred_at = fields.Datetime(required=True, index=True)
    sequence = fields.Integer(string="Source sequence")
    tracking_ref = fields.Char(index="btree_not_null")
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
    source_status = fields.Char()
    payload = fields.Text(string="Raw payload", required=True)
    payload_hash = fields.Char(required=True)
    received_at = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    lag_seconds = fields.Float(
        compute="_compute_lag", store=True, help="Received minus occurred, in seconds."
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
        index=True,
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Transfer", index="btree_not_null", check_company=True
    )
    processed_at = fields.Datetime()
    applied_at = fields.Datetime()
    attempts = fields.Integer(default=0)
    last_error = fields.Text()
    error_class = fields.Char()
    error_traceback = fields.Text(groups="base.group_system")
    first_failure_at = fields.Datetime()
    last_failure_at = fields.Datetime()
    next_attempt_at = fields.Datetime()
    wait_reason = fields.Selection(
        [("unknown_ref", "Unknown shipment reference"), ("needs_dispatch", "Waiting for dispatch")]
    )
    wait_until = fields.Datetime()
    wait_alerted = fields.Boolean()
    replay_count = fields.Integer(default=0)
    replayed_by_id = fields.Many2one("res.users", string="Replayed by")
    replayed_at = fields.Datetime()
    discarded_by_id = fields.Many2one("res.users", string="Discarded by")
    discarded_at = fields.Datetime()
    discard_reason = fields.Text()

    _sql_constraints = [
        (
            "endpoint_external_unique",
            "unique(endpoint_id, external_id)",
            "An event id can be received only once per endpoint.",
        )
    ]

    @api.depends("received_at", "occurred_at")
    def _compute_lag(self):
        for event in self:
            if event.received_at and event.occurred_at:
                event.lag_seconds = (event.received_at - event.occurred_at).total_seconds()
            else:
                event.lag_seconds = 0.0

    def write(self, vals):
        frozen = set(vals) - PROCESSING_FIELDS
        if frozen:
            raise UserError(
                self.env._(
                    "Logistics events are immutable once received; "
                    "only their processing state changes (tried to write %(fields)s).",
                    fields=", ".join(sorted(frozen)),
                )
            )
        return super().write(vals)

    # ---------------------------------------------------------------- ingestion
    @api.model
    def _ingest(
        self, endpoint, events, raw_single=None, originals=None, hook=None, lock_timeout=None
    ):
        """Store validated canonical events of one request; enqueue processing.

        Returns ``(status, body)``: 202 when at least one event is new, 200 when all
        are duplicates, 409 when an id was seen with other content (nothing stored).
        ``raw_single``: the request body when it held one event (stored verbatim);
        ``originals``: the sender's own payloads when they were mapped; ``hook``: the
        endpoint's cached ``WebhookSnapshot`` (saves reading the endpoint);
        ``lock_timeout``: how long a webhook may wait on a lock (then 503).

        The happy path is one ``INSERT ... ON CONFLICT DO NOTHING``; only ids it did
        not insert are looked up, to tell duplicates (200) from conflicts (409).
        """
        hashes = [canonical.content_hash(event) for event in events]
        by_id, conflicts = {}, set()
        for event, digest in zip(events, hashes, strict=False):
            seen = by_id.setdefault(event["event_id"], digest)
            if seen != digest:
                conflicts.add(event["event_id"])
        if conflicts:
            return self._conflict(conflicts)
        vals_list, planned = [], set()
        for index, event in enumerate(events):
            ext_id = event["event_id"]
            if ext_id in planned:
                continue
            planned.add(ext_id)
            values = canonical.to_values(event)
            values.update(
                payload=raw_single
                if raw_single is not None
                else json.dumps(originals[index] if originals else event, ensure_ascii=False),
                payload_hash=by_id[ext_id],
            )
            vals_list.append(values)
        inserted = self._insert_rows(endpoint, vals_list, hook, lock_timeout)
        leftover = [ext_id for ext_id in by_id if ext_id not in inserted]
        if leftover:
            stored = self._stored_hashes(endpoint, leftover)
            missing = [ext_id for ext_id in leftover if ext_id not in stored]
            if missing:  # stored by a transaction our snapshot cannot see
                stored.update(self._committed_hashes(endpoint, missing))
            conflicts = {ext_id for ext_id in leftover if stored.get(ext_id) != by_id[ext_id]}
            if conflicts:
                if inserted:
                    self.env.cr.execute(
                        SQL(
                            "DELETE FROM logistics_event WHERE id = ANY(%s)",
                            list(inserted.values()),
                        )
                    )
                return self._conflict(conflicts)
        statuses, answered = [], set()
        for event in events:
            ext_id = event["event_id"]
            new = ext_id in inserted and ext_id not in answered
            answered.add(ext_id)
            statuses.append({"event_id": ext_id, "status": "accepted" if new else "duplicate"})
        if not inserted:
            return 200, {"status": "duplicate", "events": statuses}
        endpoint._enqueue_processing(hook)
        return 202, {"status": "accepted", "events": statuses}

    @api.model
    def _conflict(self, external_ids):
        ids = sorted(external_ids)
        return 409, {
            "error": {
                "code": "conflict",
                "message": "event_id already received with different content: " + ", ".join(ids),
                "details": [{"event_id": ext_id} for ext_id in ids],
            }
        }

    def _stored_hashes(self, endpoint, external_ids):
        self.env.cr.execute(
            SQL(
                "SELECT external_id, payload_hash FROM logistics_event"
                " WHERE endpoint_id = %s AND external_id = ANY(%s)",
                endpoint.id,
                list(external_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _insert_rows(self, endpoint, vals_list, hook=None, lock_timeout=None):
        """Store new events with one ``INSERT ... ON CONFLICT DO NOTHING``.

        The ingestion hot path: values are converted by the fields themselves
        (``convert_to_column``), stored computed fields are filled here, and no
        mail.thread hook runs (events are created without tracking or log notes).
        Returns {external id: new id} of the rows inserted.
        """
        now = fields.Datetime.now()
        uid = self.env.uid
        constant = {
            "endpoint_id": endpoint.id,
            "company_id": hook.company_id if hook else endpoint.company_id.id,
            "received_at": now,
            "state": "received",
            "attempts": 0,
            "replay_count": 0,
            "create_uid": uid,
            "write_uid": uid,
            "create_date": now,
            "write_date": now,
        }
        columns = list(vals_list[0]) + ["lag_seconds"] + list(constant)
        rows = []
        for vals in vals_list:
            row = [
                self._fields[name].convert_to_column(value, self) for name, value in vals.items()
            ]
            row.append((now - vals["occurred_at"]).total_seconds())
            row.extend(constant.values())
            rows.append(row)
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        # One round trip: the lock timeout (webhooks never wait long on a lock) and
        # the insert.  A row a concurrent transaction stored makes PostgreSQL raise a
        # serialization failure here (repeatable read); Odoo retries the request.
        prefix = f"SET LOCAL lock_timeout = {int(lock_timeout * 1000)}; " if lock_timeout else ""
        self.env.cr.execute(
            f"{prefix}INSERT INTO logistics_event ({', '.join(columns)}) VALUES "
            + ", ".join([placeholders] * len(rows))
            + " ON CONFLICT (endpoint_id, external_id) DO NOTHING RETURNING external_id, id",
            [value for row in rows for value in row],
            log_exceptions=False,  # conflicts are expected here: retried, then 503
        )
        return dict(self.env.cr.fetchall())

    def _committed_hashes(self, endpoint, external_ids):
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT external_id, payload_hash FROM logistics_event"
                    " WHERE endpoint_id = %s AND external_id IN %s",
                    endpoint.id,
                    tuple(external_ids),
                )
            )
            return dict(cr.fetchall())

    # --------------------------------------------------------------- processing
    @api.model
    def _claim_received(self, endpoint, limit):
        """Lock up to ``limit`` received events of the endpoint that no other job holds."""
        rows = locking(
            self.env.cr,
            SQL(
                "SELECT id FROM logistics_event WHERE endpoint_id = %s AND state = 'received'"
                " ORDER BY occurred_at, sequence NULLS FIRST, id LIMIT %s FOR UPDATE SKIP LOCKED",
                endpoint.id,
                limit,
            ),
        )
        return self.browse([row[0] for row in rows])

    def _job_process(self):
        """Process these events again (retries, replays, released waits)."""
        todo = self.filtered(lambda e: e.state in ("received", "waiting", "failed"))
        try:
            todo._process()
        except SnapshotConflict:
            todo.with_delay(
                channel=todo.endpoint_id[:1].channel_name or None,
                description="Logistics Sync: process events again (conflict)",
            )._job_process()
            return f"{len(todo)} events re-queued: another job held their transfers"
        return f"{len(todo)} events processed"

    def _process(self):
        """Apply events in source order; one failing event never blocks the others."""
        if not self:
            return
        ordered = self.sorted(lambda e: (e.occurred_at, e.sequence or 0, e.id))
        pickings = ordered._resolve_pickings()
        ids = sorted({picking.id for picking in pickings.values() if picking})
        if ids:
            # Serialise work per shipment: a concurrent job waits here, and a stale
            # snapshot raises SnapshotConflict (the job is queued again, fresh).
            locking(
                self.env.cr,
                SQL(
                    "SELECT id FROM stock_picking WHERE id IN %s ORDER BY id FOR UPDATE", tuple(ids)
                ),
            )
        now = fields.Datetime.now()
        notes = {}  # transfer id -> events applied, posted as one chatter message each
        for event in ordered:
            picking = pickings.get(event.id)
            kept = len(notes.get(picking.id, ())) if picking else 0
            try:
                with self.env.cr.savepoint():
                    event._process_one(
                        picking.with_context(logistics_notes=notes) if picking else picking, now
                    )
            except psycopg2.OperationalError:
                raise  # lock / serialization problems: the whole job is retried
            except (PermanentEventError, UserError, ValidationError) as exc:
                _forget_notes(notes, picking, kept)
                event._record_failure(exc, now, permanent=True, picking=picking)
            except Exception as exc:  # noqa: BLE001 - unknown errors are retried, then dead
                _forget_notes(notes, picking, kept)
                _logger.warning("Event %s failed: %s", event.id, exc.__class__.__name__)
                event._record_failure(exc, now, permanent=False, picking=picking)
        Picking = self.env["stock.picking"]
        for picking_id, applied in notes.items():
            if applied:
                Picking.browse(picking_id)._logistics_post_notes(applied)

    def _resolve_pickings(self):
        """Map event id -> stock.picking (or False) within the endpoint's company."""
        Picking = self.env["stock.picking"]
        result, cache = {}, {}
        for event in self:
            if event.picking_id:
                result[event.id] = event.picking_id
                continue
            key = (event.company_id.id, event.shipment_ref, event.tracking_ref or "")
            if key not in cache:
                cache[key] = Picking._logistics_find(
                    event.company_id, event.shipment_ref, event.tracking_ref
                )
            result[event.id] = cache[key]
        return result

    def _process_one(self, picking, now):
        self.ensure_one()
        endpoint = self.endpoint_id
        if not picking:
            deadline = self.wait_until or (
                self.received_at + timedelta(minutes=endpoint.unknown_ref_wait_minutes)
            )
            if now >= deadline:
                raise PermanentEventError(
                    self.env._(
                        "No transfer matches shipment reference %(ref)s in company %(company)s "
                        "(waited until %(deadline)s).",
                        ref=self.shipment_ref,
                        company=self.company_id.name,
                        deadline=deadline,
                    )
                )
            self.write(
                {
                    "state": "waiting",
                    "wait_reason": "unknown_ref",
                    "wait_until": deadline,
                    "processed_at": now,
                }
            )
            return
        current = picking._logistics_position()
        decision = milestones.decide(
            current,
            {
                "milestone": self.milestone,
                "occurred_at": self.occurred_at,
                "sequence": self.sequence,
            },
            dispatched=picking.state == "done",
        )
        if decision == "wait":
            if self.state != "waiting" or self.wait_reason != "needs_dispatch":
                self.write(
                    {
                        "state": "waiting",
                        "wait_reason": "needs_dispatch",
                        "wait_until": now + timedelta(minutes=endpoint.waiting_alert_minutes),
                        "picking_id": picking.id,
                        "processed_at": now,
                    }
                )
            picking._logistics_touch(self)
            return
        if decision == "superseded":
            self.write({"state": "superseded", "picking_id": picking.id, "processed_at": now})
            picking._logistics_touch(self)
            return
        picking._logistics_apply(self)
        self.write(
            {
                "state": "applied",
                "picking_id": picking.id,
                "processed_at": now,
                "applied_at": fields.Datetime.now(),
                "wait_reason": False,
                "wait_until": False,
            }
        )

    def _record_failure(self, exc, now, permanent, picking=None):
        """Store the error on the event (and link the transfer, so it shows the error)."""
        self.ensure_one()
        attempts = self.attempts + 1
        dead = permanent or attempts >= self.endpoint_id.max_attempts
        vals = {
            "attempts": attempts,
            "state": "dead" if dead else "failed",
            "last_error": str(exc) or exc.__class__.__name__,
            "error_class": f"{exc.__class__.__module__}.{exc.__class__.__name__}",
            "error_traceback": "".join(traceback.format_exception(exc)),
            "first_failure_at": self.first_failure_at or now,
            "last_failure_at": now,
            "processed_at": now,
            "next_attempt_at": False,
        }
        if picking and not self.picking_id:
            vals["picking_id"] = picking.id
        if not dead:
            delay = backoff_seconds(attempts, base=self.endpoint_id.retry_base_seconds)
            vals["next_attempt_at"] = now + timedelta(seconds=delay)
            self.with_delay(
                eta=timedelta(seconds=delay),  # queue_job takes int seconds or a timedelta
                channel=self.endpoint_id.channel_name,
                description=f"Logistics Sync: retry event {self.external_id}",
            )._job_process()
        self.sudo().write(vals)

    # ------------------------------------------------------------------ actions
    def action_replay(self):
        """Run dead, failed or waiting events again from their stored payload.

        Idempotent: applied and superseded events are left as they are.
        """
        self.env["logistics.endpoint"].check_access("write")
        todo = self.filtered(lambda e: e.state in ("dead", "failed", "waiting", "discarded"))
        now = fields.Datetime.now()
        for event in todo:
            event.sudo().write(
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
            todo.sudo().with_delay(description="Logistics Sync: replay events")._job_process()
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
        todo.sudo().write(
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
        for endpoint, events in unknown.grouped("endpoint_id").items():
            events.with_delay(
                channel=endpoint.channel_name,
                description=f"Logistics Sync: retry unknown references of {endpoint.code}",
            )._job_process()
        overdue = self.search(
            [
                ("state", "=", "waiting"),
                ("wait_reason", "=", "needs_dispatch"),
                ("wait_alerted", "=", False),
                ("wait_until", "<=", now),
            ],
            limit=limit,
        )
        for event in overdue:
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
        overdue.write({"wait_alerted": True})
        self.env["ir.cron"]._notify_progress(done=len(unknown) + len(overdue), remaining=0)

    @api.autovacuum
    def _gc_expired_events(self):
        """Purge processed events past their endpoint's retention; dead letters stay."""
        now = fields.Datetime.now()
        for endpoint in self.env["logistics.endpoint"].with_context(active_test=False).search([]):
            if endpoint.retention_days <= 0:
                continue
            old = self.search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("state", "in", ("applied", "superseded", "discarded")),
                    ("received_at", "<", now - timedelta(days=endpoint.retention_days)),
                ],
                limit=10000,
            )
            old.unlink()

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
