# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shipments and what the TMS answers about them, through signed webhooks.

After a create (or an update) the planner answers, one step every
``webhook_interval`` seconds: ``accepted`` (or ``rejected`` with a reason, and
nothing more), ``carrier_assigned`` (carrier, tracking number), ``planned``
(load, pickup and delivery windows, planned cost); then the transit
milestones ``picked_up``, ``in_transit``, ``out_for_delivery``, ``delivered``
one every ``milestone_interval`` seconds (the speed knob).  An update re-runs
the tender answers for the new version; transit goes on where it was.  A
cancellation answers ``cancelled`` and stops everything else.

The answers are ``tms_update`` events (typed canonical events) and, for
transit, ordinary milestone events, all with ``shipment_ref`` = the release
id (the Odoo transfer name) and a ``sequence`` increasing per shipment.
Knobs: ``unanswered_rate`` (a tender gets no webhook at all),
``duplicate_rate`` (some POSTed twice), ``reorder`` (delivered in swapped
pairs).  ``POST /_sim/advance/<shipment id>`` runs the next step now.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import rules
from odoo.addons.logistics_sync_base.simulator.server import SimError

TENDER_STEPS = ("accepted", "carrier_assigned", "planned")
MILESTONES = ("picked_up", "in_transit", "out_for_delivery", "delivered")
FINAL = ("rejected", "cancelled", "delivered")


def utc_now():
    return rules.format_time(datetime.now(UTC))


@dataclass
class Shipment:
    number: int
    shipment_id: str
    release_id: str
    version: int
    request: dict
    fingerprint: str
    status: str = "received"
    unanswered: bool = False
    load_ref: str | None = None
    carrier: str | None = None
    tracking_ref: str | None = None
    planned_pickup: dict | None = None
    planned_delivery: dict | None = None
    planned_cost: dict | None = None
    reason: str | None = None
    step: int = 0  # the next tender step (index in TENDER_STEPS)
    milestones_sent: int = 0
    token: int = 0  # bumped by an update, a cancellation: stale scheduled steps stop
    held: dict | None = None  # an event held back by the reorder knob
    history: list = field(default_factory=list)

    @property
    def final(self):
        return self.status in FINAL

    def record(self):
        return {
            "shipment_id": self.shipment_id,
            "release_id": self.release_id,
            "version": self.version,
            "status": self.status,
            "load_ref": self.load_ref,
            "carrier": self.carrier,
            "tracking_ref": self.tracking_ref,
            "planned_pickup": self.planned_pickup,
            "planned_delivery": self.planned_delivery,
            "planned_cost": self.planned_cost,
            "reason": self.reason,
            "history": [dict(h) for h in self.history],
        }


class PlanningMixin:
    """The planner of the TMS simulator (``self``: the ``TmsSimulator``, with
    ``shipments``, ``loads``, ``sequence``, ``webhooks``, ``rng``, ``_lock``)."""

    # ------------------------------------------------------------- scheduling
    def start_tender(self, shipment):
        """(Re)start the tender answers of ``shipment`` (under the lock)."""
        shipment.token += 1
        shipment.step = 0
        if not shipment.unanswered:
            self._schedule(shipment, self.knobs.webhook_interval)

    def _schedule(self, shipment, delay):
        self.scheduler.call_later(
            delay, self._scheduled_step, shipment.shipment_id, shipment.token, self.generation
        )

    def _scheduled_step(self, shipment_id, token, generation):
        with self._lock:
            if generation != self.generation:
                return  # reset meanwhile
            self.advance(shipment_id, token)

    def advance(self, shipment_id, token=None):
        """Run the next step of a shipment now; returns the event produced (None
        when ``token`` is stale: updated, cancelled or advanced meanwhile)."""
        with self._lock:
            shipment = self.shipment(shipment_id)
            if token is not None and shipment.token != token:
                return None
            if shipment.final:
                raise SimError(409, "conflict", f"the shipment is {shipment.status}")
            if shipment.unanswered:
                raise SimError(409, "conflict", "this tender is left unanswered")
            if shipment.step < len(TENDER_STEPS):
                event = self._tender_event(shipment)
                delay = self.knobs.webhook_interval
            elif shipment.milestones_sent < len(MILESTONES):
                event = self._milestone_event(shipment)
                delay = self.knobs.milestone_interval
            else:
                raise SimError(409, "conflict", "the shipment has no next step")
            shipment.token += 1
            if not shipment.final:
                self._schedule(shipment, delay)
            outgoing = self._release_order(shipment, event)
        self.dispatch(outgoing)
        return event

    # ------------------------------------------------------------- events
    def _base_event(self, shipment, status):
        sequence = next(self.sequence)
        shipment.history.append(
            {"at": utc_now(), "status": status, "version": shipment.version, "sequence": sequence}
        )
        self.counters["events"] += 1
        return {
            "event_id": f"tms-{shipment.shipment_id}-{sequence}",
            "shipment_ref": shipment.release_id,
            "occurred_at": utc_now(),
            "sequence": sequence,
        }

    def _update_event(self, shipment, status, **extra):
        event = self._base_event(shipment, status)
        event.update(
            {
                "type": "tms_update",
                "status": status,
                "tms_ref": shipment.shipment_id,
                "version": shipment.version,
            }
        )
        event.update({k: v for k, v in extra.items() if v is not None})
        return event

    def _tender_event(self, shipment):
        step = TENDER_STEPS[shipment.step]
        shipment.step += 1
        if step == "accepted":
            reason = rules.rejection_reason(shipment.request)
            if reason:
                shipment.status, shipment.reason = "rejected", reason
                shipment.step = len(TENDER_STEPS)
                return self._update_event(shipment, "rejected", reason=reason)
            shipment.reason = None
            if shipment.milestones_sent == 0:
                shipment.status = "accepted"
            return self._update_event(shipment, "accepted")
        if step == "carrier_assigned":
            shipment.carrier = self.knobs.carrier_code
            shipment.tracking_ref = shipment.tracking_ref or f"TMS1Z{shipment.number:06d}"
            if shipment.milestones_sent == 0:
                shipment.status = "carrier_assigned"
            return self._update_event(
                shipment,
                "carrier_assigned",
                carrier=shipment.carrier,
                tracking_ref=shipment.tracking_ref,
            )
        shipment.load_ref = self._load_for(shipment)
        shipment.planned_pickup, shipment.planned_delivery = rules.planned_windows(shipment.request)
        shipment.planned_cost = rules.planned_cost(shipment.request)
        if shipment.milestones_sent == 0:
            shipment.status = "planned"
        return self._update_event(
            shipment,
            "planned",
            carrier=shipment.carrier,
            tracking_ref=shipment.tracking_ref,
            load_ref=shipment.load_ref,
            planned_pickup=shipment.planned_pickup,
            planned_delivery=shipment.planned_delivery,
            planned_cost=shipment.planned_cost,
        )

    def _milestone_event(self, shipment):
        milestone = MILESTONES[shipment.milestones_sent]
        shipment.milestones_sent += 1
        shipment.status = milestone
        event = self._base_event(shipment, milestone)
        event.update(
            {
                "milestone": milestone,
                "tracking_ref": shipment.tracking_ref,
                "carrier": shipment.carrier,
                "source_status": milestone.upper(),
            }
        )
        return event

    def cancelled_event(self, shipment, reason):
        """Cancel ``shipment`` (under the lock); the events to send now."""
        shipment.token += 1
        shipment.status, shipment.reason = "cancelled", reason or None
        self._leave_load(shipment)
        if shipment.unanswered:
            return []
        event = self._update_event(shipment, "cancelled", reason=reason or None)
        return self._release_order(shipment, event)

    def _load_for(self, shipment):
        """The load of a shipment: shared by releases with the same pickup date,
        shipper and destination country (consolidation)."""
        key = rules.consolidation_key(shipment.request)
        if shipment.load_ref and self.load_members.get(shipment.load_ref, {}).get("key") == key:
            return shipment.load_ref
        self._leave_load(shipment)
        load_ref = self.loads.get(key)
        if load_ref is None:
            load_ref = f"LOAD-{next(self.load_numbers):04d}"
            self.loads[key] = load_ref
            self.load_members[load_ref] = {"key": key, "members": set()}
        self.load_members[load_ref]["members"].add(shipment.shipment_id)
        return load_ref

    def _leave_load(self, shipment):
        members = self.load_members.get(shipment.load_ref or "")
        if members:
            members["members"].discard(shipment.shipment_id)

    # ------------------------------------------------------------- delivery
    def _release_order(self, shipment, event):
        """The events to send now, given the reorder knob (called under the lock)."""
        if shipment.held is not None:
            held, shipment.held = shipment.held, None
            return [event, held] if self.knobs.reorder else [held, event]
        if self.knobs.reorder and not shipment.final:
            shipment.held = event
            return []
        return [event]

    def dispatch(self, events):
        with self._lock:
            url = self.knobs.webhook_url
            if not url or not events:
                return
            items = [(e["event_id"], e) for e in events]
            self.webhooks.send(
                url, items, "canonical", self.knobs.duplicate_rate, self.knobs.webhook_retries
            )
