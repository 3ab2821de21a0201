# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Processing: received events applied to transfers in source order, with retries."""

import logging
import traceback
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..lib import milestones
from ..lib.errors import PermanentEventError
from ..lib.locks import SnapshotConflict, locking
from ..lib.retry import backoff_seconds

_logger = logging.getLogger(__name__)


def _forget_notes(notes, picking, kept):
    """A failed event's savepoint was rolled back: drop the notes it collected."""
    if picking:
        del notes.setdefault(picking.id, [])[kept:]


class LogisticsEvent(models.Model):
    _inherit = "logistics.event"

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
            self._set_processing(
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
        self._set_processing(vals)
