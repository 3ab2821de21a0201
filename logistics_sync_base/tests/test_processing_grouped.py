# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Grouped processing (many transfers per job, no savepoint per event) ends exactly
where processing event by event ends: transfers, events, chatter, activities."""

import random
import re

from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import LogisticsCommon, event

EVENT_LOGGER = "odoo.addons.logistics_sync_base.models.logistics_event_processing"
PICKING_FIELDS = (
    "logistics_milestone",
    "logistics_milestone_at",
    "logistics_sequence",
    "logistics_last_event_at",
    "logistics_lag_seconds",
    "logistics_exception",
    "logistics_exception_reason",
    "logistics_eta",
    "carrier_tracking_ref",
    "logistics_sync_state",
)
EVENT_FIELDS = ("state", "wait_reason", "attempts", "applied_at", "processed_at")


def _stream(number):
    """One transfer's events: a chain with a late event, a repeated scan, a second
    in_transit with a higher sequence, an ETA and tracking number, a delivery that
    waits for the dispatch; transfer 2 also has an alerting milestone (its events
    then take the event-by-event path inside the grouped job)."""
    out = [
        ("booked", 10, {"sequence": 1}),
        ("picked_up", 30, {"sequence": 3, "tracking_ref": f"TRK{number}"}),
        ("carrier_assigned", 20, {"sequence": 2}),  # late: superseded once picked_up applied
        ("in_transit", 40, {"sequence": 4, "location": {"city": "Lyon", "country": "FR"}}),
        ("in_transit", 50, {"sequence": 5, "eta": "2026-11-28T10:00:00Z"}),
        ("in_transit", 45, {"sequence": 4}),  # an older scan of the same milestone
        ("out_for_delivery", 60, {"sequence": 6}),
        ("delivered", 70, {"sequence": 7}),  # the transfer is not validated: waits
    ]
    if number == 2:
        out.append(("delayed", 55, {"sequence": 55, "reason": "Road closed"}))
    return out


@tagged("post_install", "-at_install")
class TestGroupedProcessing(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()

    def _run(self, prefix, pickings, one_by_one, chunks):
        """Ingest the shuffled stream for ``pickings`` and process it in ``chunks``
        jobs (in arrival order, as a sender's batches arrive); returns the events."""
        rng = random.Random(12)
        stream = [
            event(f"{prefix}-{number}-{index}", picking.name, milestone, minutes, **extra)
            for number, picking in enumerate(pickings)
            for index, (milestone, minutes, extra) in enumerate(_stream(number))
        ]
        rng.shuffle(stream)
        size = -(-len(stream) // chunks)
        Event = self.env["logistics.event"]
        all_events = Event
        for start in range(0, len(stream), size):
            batch = self._ingest(*stream[start : start + size])
            batch.with_context(logistics_one_by_one=one_by_one)._process()
            all_events |= batch
        return all_events

    def _final_state(self, prefix, pickings, events):
        transfers = []
        for number, picking in enumerate(pickings):
            values = picking.read(list(PICKING_FIELDS))[0]
            values.pop("id")
            if values["carrier_tracking_ref"]:
                values["carrier_tracking_ref"] = values["carrier_tracking_ref"].strip()
            notes = [
                re.sub(rf"\b{prefix}-{number}-", "X-", message.body)
                for message in picking.message_ids.sorted("id")
                if message.message_type == "comment"
            ]
            activities = picking.activity_ids.mapped("summary")
            activities = [summary.replace(picking.name, "REF") for summary in activities]
            transfers.append((values, notes, activities))
        states = {
            event.external_id.split("-", 1)[1]: tuple(event[name] for name in EVENT_FIELDS)
            for event in events
        }
        return transfers, states

    def test_grouped_equals_event_by_event(self):
        count = 5
        grouped = [self._make_picking() for _index in range(count)]
        reference = [self._make_picking() for _index in range(count)]
        # the same clock for both: received, processed and applied times compare
        with mute_logger(EVENT_LOGGER), freeze_time("2026-11-26 12:00:00"):
            fast = self._run("g", grouped, one_by_one=False, chunks=3)
            slow = self._run("s", reference, one_by_one=True, chunks=3)
        got = self._final_state("g", grouped, fast)
        expected = self._final_state("s", reference, slow)
        self.maxDiff = None
        self.assertEqual(got[1], expected[1], "every event ends in the same state")
        for number, (mine, theirs) in enumerate(zip(got[0], expected[0], strict=True)):
            self.assertEqual(mine, theirs, f"transfer {number}")
        # and it is the in-order outcome: a milestone never moves backwards
        self.assertEqual(set(grouped[0].mapped("logistics_milestone")), {"out_for_delivery"})
        states = [state for state, *_rest in got[1].values()]
        self.assertEqual(states.count("waiting"), count, "each delivery waits for the dispatch")
        self.assertIn("superseded", states)
        self.assertEqual(len(grouped[2].activity_ids), 1, "the delay's activity")
        self.assertTrue(all(picking.message_ids for picking in grouped))

    def test_a_failing_event_sends_the_group_event_by_event(self):
        """A group that fails is rolled back and processed event by event: the
        failing event fails alone, the others apply."""
        pickings = [self._make_picking() for _index in range(3)]
        events = self._ingest(
            *[event(f"f-{n}", picking.name, "picked_up", n) for n, picking in enumerate(pickings)]
        )
        bad = events.filtered(lambda e: e.external_id == "f-1")
        Picking = type(self.env["stock.picking"])
        original = Picking._logistics_apply

        def apply_or_fail(picking, evt):
            if evt.external_id == "f-1":
                raise RuntimeError("broken")
            return original(picking, evt)

        Picking._logistics_apply = apply_or_fail
        try:
            with mute_logger(EVENT_LOGGER):
                events._process()
        finally:
            Picking._logistics_apply = original
        self.assertEqual(bad.state, "failed")
        self.assertEqual((events - bad).mapped("state"), ["applied", "applied"])
        self.assertEqual(pickings[0].logistics_milestone, "picked_up")
        self.assertFalse(pickings[1].logistics_milestone)
        self.assertEqual(
            len(pickings[2].message_ids.filtered(lambda m: m.message_type == "comment")), 1
        )
