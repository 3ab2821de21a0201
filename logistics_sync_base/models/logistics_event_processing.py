# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Processing: received events applied to transfers in source order, with retries.

Batches (``logistics.endpoint._job_process_pending``, replays, wake-ups) never
fail for one event: a failing event is stored failed (the batch commits the
others) and gets a job of its own.  That job follows queue_job's conventions:
when the event fails transiently again it raises ``RetryableJobError`` with the
backoff, its failure written first in a transaction of its own; on the last
attempt the event becomes a dead letter and the job fails.
"""

import logging
import traceback
from datetime import datetime, timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..jobs import Fail, Retry, run_job
from ..lib import milestones
from ..lib.errors import PermanentEventError
from ..lib.locks import SnapshotConflict, locking
from ..lib.retry import backoff_seconds

_logger = logging.getLogger(__name__)

# Milestones that do more than move the transfer (an attachment, an activity): their
# transfers are processed event by event (see ``_process``).
GROUP_EXCLUDED = frozenset(milestones.ALERTING) | {"pod_received"}

# Errors the same event meets again whenever it is processed: a dead letter at once.
# ValueError / TypeError: a value of the payload that cannot be used (an impossible
# date that a pattern let through, a wrong type), never a passing trouble.
PERMANENT_ERRORS = (PermanentEventError, UserError, ValidationError, ValueError, TypeError)


class RetryEvent(Exception):
    """Raised out of an event's own retry job: the event failed transiently (see
    ``LogisticsEvent._job_process``); its failure is recorded once the job's
    transaction, and the transfer's lock with it, is rolled back."""

    def __init__(self, event, error, picking, now):
        super().__init__(str(error) or error.__class__.__name__)
        self.event, self.error, self.picking, self.now = event, error, picking, now


def _forget_notes(notes, picking, kept):
    """A failed event's savepoint was rolled back: drop the notes it collected."""
    if picking:
        del notes.setdefault(picking.id, [])[kept:]


# one file per concern of the model (ingestion, processing), on purpose
class LogisticsEvent(models.Model):
    _inherit = "logistics.event"  # pylint: disable=consider-merging-classes-inherited

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

    def _enqueue_process(self, description, identity=None, **options):
        """Queue ``_job_process`` for these events: one job per endpoint, on its channel.

        ``identity``: a cron's name for its jobs; an endpoint whose job of that name
        has not started yet gets no other one (queue_job's ``identity_key``, checked
        here first), so a cron never stacks jobs during a backlog.
        """
        groups = self.grouped("endpoint_id")
        queued = set()
        if identity:
            keys = [f"{identity}-{endpoint.id}" for endpoint in groups]
            # sudo: queue.job is technical (administrators only); only keys are read
            queued = set(
                self.env["queue.job"]
                .sudo()
                .search(
                    [
                        ("identity_key", "in", keys),
                        ("state", "in", ("wait_dependencies", "pending", "enqueued")),
                    ]
                )
                .mapped("identity_key")
            )
        for endpoint, events in groups.items():
            if identity:
                key = f"{identity}-{endpoint.id}"
                if key in queued:
                    continue
                options["identity_key"] = key
            events.with_delay(
                channel=endpoint.channel_name,
                description=f"{description} ({endpoint.code})",
                **options,
            )._job_process()

    def _job_process(self):
        """Process these events again (retries, replays, released waits).

        A job for one event is that event's retry: a transient failure is recorded
        outside the job's transaction, then retried or made a dead letter
        (``jobs.run_job``, ``_retry_outside``).  A job for many events is a batch:
        a failing event gets a retry job of its own.
        """
        todo = self.filtered(lambda e: e.state in ("received", "waiting", "failed"))

        def work():
            try:
                todo._process(retrying=len(todo) == 1)
            except SnapshotConflict:
                # a fresh job at once (bench/pipeline: faster than a 1 s postpone)
                todo._enqueue_process("Logistics Sync: process events again (conflict)")
                return f"{len(todo)} events re-queued: another job held their transfers"
            return f"{len(todo)} events processed"

        return run_job(self.env, work, self._retry_outside)

    @api.model
    def _retry_outside(self, exc):
        """``run_job``'s ``on_error``: an event's transient failure in its own retry
        job is stored (attempts, error, next attempt) on the second connection, then
        the job retries with the backoff, or, on the last attempt, the event is a
        dead letter and the job fails.  Other errors go to queue_job unchanged."""
        if not isinstance(exc, RetryEvent):
            return None

        def record(env):
            event = env[self._name].browse(exc.event.id)
            vals, delay = event._failure_values(exc.error, exc.now, False, exc.picking)
            event.write(vals)
            if delay is None:
                return Fail(
                    f"event {event.external_id} is a dead letter after {vals['attempts']} "
                    f"attempts: {vals['last_error']}"
                )
            return Retry(vals["last_error"], delay)

        return record

    def _process(self, retrying=False):
        """Apply events in source order; one failing event never blocks the others.

        ``retrying``: this job retries one event (its transient failure is raised
        to queue_job rather than queued as a new job).

        Transfers whose events here are all plain milestones (no proof of delivery,
        no alert, no typed event) are processed together: no savepoint per event,
        the events' state written once per set of values, one chatter note per
        transfer posted in one go.  Should any of them fail, that group is rolled
        back and processed again event by event, each in a savepoint of its own,
        which gives every event its own outcome as before.
        """
        if not self:
            return
        ordered = self.sorted(lambda e: (e.occurred_at, e.sequence or 0, e.id))
        pickings = ordered._resolve_pickings()
        ids = sorted({picking.id for picking in pickings.values() if picking})
        if ids:
            # Serialise work per shipment: a concurrent job waits here, and a stale
            # snapshot raises SnapshotConflict (the job runs again, fresh).  NO KEY
            # UPDATE: an event's failure is written in a transaction of its own, and
            # its reference to the transfer must not wait for this lock.
            locking(
                self.env.cr,
                SQL(
                    "SELECT id FROM stock_picking WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                    tuple(ids),
                ),
            )
        now = fields.Datetime.now()
        notes = {}  # transfer id -> events applied, posted as one chatter message each
        # context logistics_one_by_one: every event in a savepoint of its own (the
        # reference the grouped path is tested against)
        one_by_one = self.env.context.get("logistics_one_by_one")
        grouped = self.browse() if one_by_one else ordered._groupable(pickings)
        single = ordered - grouped
        if grouped:
            try:
                with self.env.cr.savepoint():
                    grouped._process_grouped(pickings, now, notes)
            except psycopg2.OperationalError:
                raise  # lock / serialization problems: the whole job is retried
            except Exception as exc:  # noqa: BLE001 - done again event by event below
                _logger.info(
                    "Grouped processing of %s events fell back to one by one: %s",
                    len(grouped),
                    exc.__class__.__name__,
                )
                notes.clear()
                single = ordered
        retry = single._process_each(pickings, now, notes, retrying)
        if retry:
            event, exc, picking = retry
            raise RetryEvent(event, exc, picking, now)
        self.env["stock.picking"]._logistics_post_batch(notes)

    def _groupable(self, pickings):
        """The events of transfers whose events here are all plain milestones."""
        plain = {}
        for event in self:
            picking = pickings.get(event.id)
            if not picking:
                continue
            ok = event.event_type == "milestone" and event.milestone not in GROUP_EXCLUDED
            plain[picking.id] = plain.get(picking.id, True) and ok
        return self.filtered(lambda e: plain.get(pickings[e.id].id if pickings[e.id] else 0))

    def _process_grouped(self, pickings, now, notes):
        """Process plain milestone events in order without a savepoint per event; their
        processing state is collected and written once per set of values."""
        writes = {}  # frozen values -> event ids
        for event in self:
            picking = pickings[event.id]
            event.with_context(logistics_event_writes=writes)._process_one(
                picking.with_context(logistics_notes=notes), now
            )
        applied_at = datetime.now()  # one time for the group, to the microsecond
        for frozen, ids in writes.items():
            vals = dict(frozen)
            if "applied_at" in vals:
                vals["applied_at"] = applied_at
            self.browse(ids)._set_processing(vals)

    def _applied_now(self):
        """When an event is applied, to the microsecond (latency is read in ms;
        fields.Datetime.now() drops them).  In grouped processing the values are
        collected per set and written at the end of the group with one time for the
        group (``_process_grouped``), so they must not differ per event here."""
        if self.env.context.get("logistics_event_writes") is not None:
            return fields.Datetime.now()
        return datetime.now()

    def _process_each(self, pickings, now, notes, retrying):
        """Event by event, each in a savepoint: a failing event is stored failed (or
        returned, when ``retrying``, as ``(event, exception, transfer)``)."""
        retry = None
        for event in self:
            picking = pickings.get(event.id)
            kept = len(notes.get(picking.id, ())) if picking else 0
            try:
                with self.env.cr.savepoint():
                    event._process_one(
                        picking.with_context(logistics_notes=notes) if picking else picking, now
                    )
            except psycopg2.OperationalError:
                raise  # lock / serialization problems: the whole job is retried
            except PERMANENT_ERRORS as exc:
                _forget_notes(notes, picking, kept)
                event._record_failure(exc, now, permanent=True, picking=picking)
            except Exception as exc:  # noqa: BLE001 - other errors are retried, then dead
                _forget_notes(notes, picking, kept)
                _logger.warning("Event %s failed: %s", event.id, exc.__class__.__name__)
                if retrying:
                    retry = (event, exc, picking)
                else:
                    event._record_failure(exc, now, permanent=False, picking=picking)
        return retry

    def _resolve_pickings(self):
        """Map event id -> stock.picking (or False) within the endpoint's company.

        Transfer names are looked up for all events at once; a reference that is no
        transfer's name is looked up on its own (external reference, tracking number).
        """
        Picking = self.env["stock.picking"]
        result, keys = {}, {}
        for event in self:
            if event.picking_id:
                result[event.id] = event.picking_id
            else:
                key = (event.company_id.id, event.shipment_ref, event.tracking_ref or "")
                keys.setdefault(key, []).append(event.id)
        if not keys:
            return result
        named = {}
        for picking in Picking.search(
            [
                ("company_id", "in", list({key[0] for key in keys})),
                ("name", "in", list({key[1] for key in keys})),
            ],
            order="id",
        ):
            named[(picking.company_id.id, picking.name)] = picking  # the newest wins
        for key, event_ids in keys.items():
            company_id, shipment_ref, tracking_ref = key
            picking = named.get((company_id, shipment_ref)) or Picking._logistics_find(
                self.env["res.company"].browse(company_id), shipment_ref, tracking_ref or None
            )
            for event_id in event_ids:
                result[event_id] = picking
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
            self._set_processing(
                {
                    "state": "waiting",
                    "wait_reason": "unknown_ref",
                    "wait_until": deadline,
                    "processed_at": now,
                }
            )
            return
        if self.event_type != "milestone":
            # a typed event (declared by an addon): its handler does the work
            getattr(self, f"_process_{self.event_type}")(picking, now)
            if self.state in ("received", "failed"):
                self._set_processing(
                    {
                        "state": "applied",
                        "picking_id": picking.id,
                        "processed_at": now,
                        "applied_at": self._applied_now(),
                        "wait_reason": False,
                        "wait_until": False,
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
                self._set_processing(
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
            self._set_processing(
                {"state": "superseded", "picking_id": picking.id, "processed_at": now}
            )
            picking._logistics_touch(self)
            return
        picking._logistics_apply(self)
        self._set_processing(
            {
                "state": "applied",
                "picking_id": picking.id,
                "processed_at": now,
                "applied_at": self._applied_now(),
                "wait_reason": False,
                "wait_until": False,
            }
        )

    def _failure_values(self, exc, now, permanent, picking=None):
        """(values to store, delay before the next attempt or None when dead)."""
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
        delay = None
        if not dead:
            delay = max(1, backoff_seconds(attempts, base=self.endpoint_id.retry_base_seconds))
            vals["next_attempt_at"] = now + timedelta(seconds=delay)
        return vals, delay

    def _record_failure(self, exc, now, permanent, picking=None):
        """In a batch: store the error on the event (and link the transfer, so it
        shows the error); a transient one gets a retry job of its own."""
        vals, delay = self._failure_values(exc, now, permanent, picking)
        self._set_processing(vals)
        if delay is not None:
            endpoint = self.endpoint_id
            self.with_delay(
                eta=timedelta(seconds=delay),  # queue_job takes int seconds or a timedelta
                channel=endpoint.channel_name,
                max_retries=max(1, endpoint.max_attempts - vals["attempts"]),
                description=f"Logistics Sync: retry event {self.external_id}",
            )._job_process()
