# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Pure functions of lib/: plain values in and out, no database."""

import base64
import json
import os
import tempfile
import time
from datetime import datetime

from odoo.tests import BaseCase, tagged

from ..lib import canonical, milestones, retry, signature

SECRET = "whsec_" + base64.b64encode(b"x" * 32).decode()


def _event(**over):
    event = {
        "event_id": "e1",
        "shipment_ref": "WH/OUT/00001",
        "milestone": "in_transit",
        "occurred_at": "2026-11-26T10:00:00+01:00",
    }
    event.update(over)
    return event


@tagged("at_install", "-post_install")
class TestLib(BaseCase):
    def test_out_of_order_three_one_two_ends_like_in_order(self):
        t = datetime(2026, 1, 1)
        stream = [("picked_up", 3), ("released", 1), ("booked", 2)]
        current, decisions = None, []
        for milestone, seq in stream:
            event = {"milestone": milestone, "occurred_at": t, "sequence": seq}
            decision = milestones.decide(current, event, dispatched=True)
            decisions.append(decision)
            if decision == "apply":
                current = event
        self.assertEqual(decisions, ["apply", "superseded", "superseded"])
        self.assertEqual(current["milestone"], "picked_up")

    def test_delivered_waits_for_dispatch_and_side_milestones_never_move(self):
        event = {"milestone": "delivered", "occurred_at": datetime(2026, 1, 1)}
        self.assertEqual(milestones.decide(None, event, dispatched=False), "wait")
        self.assertEqual(milestones.decide(None, event, dispatched=True), "apply")
        side = {"milestone": "delayed", "occurred_at": datetime(2026, 1, 1)}
        current = {"milestone": "delivered", "occurred_at": datetime(2026, 1, 2)}
        self.assertEqual(milestones.decide(current, side, dispatched=True), "apply")
        self.assertFalse(milestones.moves_shipment("delayed"))

    def test_same_milestone_newer_scan_applies_older_superseded(self):
        current = {"milestone": "in_transit", "occurred_at": datetime(2026, 1, 2)}
        newer = {"milestone": "in_transit", "occurred_at": datetime(2026, 1, 3)}
        older = {"milestone": "in_transit", "occurred_at": datetime(2026, 1, 1)}
        self.assertEqual(milestones.decide(current, newer, True), "apply")
        self.assertEqual(milestones.decide(current, older, True), "superseded")
        self.assertEqual(milestones.decide(current, dict(current), True), "superseded")

    def test_backoff_grows_with_jitter_and_cap(self):
        self.assertEqual(retry.backoff_seconds(1, base=10, rng=lambda: 0.0), 5)
        self.assertEqual(retry.backoff_seconds(1, base=10, rng=lambda: 1.0), 10)
        self.assertEqual(retry.backoff_seconds(4, base=10, rng=lambda: 1.0), 80)
        self.assertEqual(retry.backoff_seconds(30, base=10, cap=100, rng=lambda: 1.0), 100)
        self.assertEqual(retry.retry_after_seconds("17"), 17)
        self.assertEqual(retry.retry_after_seconds("soon", default=5), 5)

    def test_signature_roundtrip_rotation_and_window(self):
        body = json.dumps(_event()).encode()
        now = int(time.time())
        headers = signature.sign_headers(SECRET, "e1", body, timestamp=now - 100)
        self.assertTrue(signature.verify([SECRET], headers, body))
        other = signature.generate_secret()
        # rotation: the previous secret still verifies
        self.assertTrue(signature.verify([other, SECRET], headers, body))
        # the endpoint's own window, narrower than the package's five minutes
        with self.assertRaisesRegex(signature.SignatureError, "window"):
            signature.verify([SECRET], headers, body, tolerance=60)
        old = signature.sign_headers(SECRET, "e1", body, timestamp=now - 301)
        with self.assertRaisesRegex(signature.SignatureError, "window"):
            signature.verify([SECRET], old, body)
        with self.assertRaisesRegex(signature.SignatureError, "does not match"):
            signature.verify([SECRET], headers, body + b" ")
        with self.assertRaisesRegex(signature.SignatureError, "does not match"):
            signature.verify([other], headers, body)
        for bad_value in ("v1,not base64!!", "garbage", "v2,abc"):
            bad = dict(headers, **{"webhook-signature": bad_value})
            with self.assertRaisesRegex(signature.SignatureError, "does not match"):
                signature.verify([SECRET], bad, body)
        with self.assertRaisesRegex(signature.SignatureError, "missing webhook-id"):
            signature.verify([SECRET], {"webhook-id": "e1"}, body)

    def test_validation_reports_index_and_field(self):
        errors = canonical.validate_events(
            [_event(), _event(milestone="teleported", location={"country": "France"})]
        )
        fields = sorted((e["index"], e["field"]) for e in errors)
        self.assertEqual(fields, [(1, "location.country"), (1, "milestone")])
        errors = canonical.validate_events([{"event_id": "x"}])
        self.assertEqual({e["field"] for e in errors}, {"shipment_ref", "milestone", "occurred_at"})
        errors = canonical.validate_events([_event(occurred_at="2026-11-26T10:00:00")])
        self.assertEqual([(e["index"], e["field"]) for e in errors], [(0, "occurred_at")])
        self.assertIn("is not an RFC 3339 date-time with a UTC offset", errors[0]["message"])

    def test_typed_events_use_their_declared_schema(self):
        schema = {
            "type": "object",
            "required": ["type", "event_id", "shipment_ref", "occurred_at", "amount"],
            "properties": {"type": {"const": "charge"}, "amount": {"type": "number"}},
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(schema, fh)
        self.addCleanup(os.unlink, fh.name)
        types = {"charge": fh.name}
        typed = {
            "type": "charge",
            "event_id": "c1",
            "shipment_ref": "WH/OUT/00001",
            "occurred_at": "2026-11-26T10:00:00Z",
            "amount": 12.5,
        }
        self.assertEqual(canonical.validate_events([typed], types), [])
        errors = canonical.validate_events([dict(typed, amount="12")], types)
        self.assertEqual([(e["index"], e["field"]) for e in errors], [(0, "amount")])
        # the same event where the type is not declared: refused, naming the type
        errors = canonical.validate_events([typed])
        self.assertEqual([e["field"] for e in errors], ["type"])
        self.assertIn("accepts: milestone", errors[0]["message"])
        # a batch mixing types gives rows with the same columns (one INSERT)
        values = canonical.to_values(typed, types)
        self.assertEqual(values["event_type"], "charge")
        self.assertFalse(values["milestone"])
        self.assertNotIn("amount", values)
        self.assertEqual(set(values), set(canonical.to_values(_event(), types)))

    def test_to_values_drops_unknown_fields_and_converts_to_utc(self):
        values = canonical.to_values(_event(is_admin=True, picking_id=7))
        self.assertNotIn("is_admin", values)
        self.assertNotIn("picking_id", values)
        self.assertEqual(values["occurred_at"], datetime(2026, 11, 26, 9, 0))
        self.assertEqual(
            canonical.content_hash({"a": 1, "b": 2}), canonical.content_hash({"b": 2, "a": 1})
        )
