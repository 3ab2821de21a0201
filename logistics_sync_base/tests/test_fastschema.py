# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The fast schema check never says yes where jsonschema says no."""

import copy
import random

from jsonschema import Draft202012Validator

from odoo.tests import BaseCase, tagged

from ..lib import canonical, fastschema

FULL = {
    "event_id": "e",
    "shipment_ref": "WH/OUT/00001",
    "milestone": "delivered",
    "occurred_at": "2026-11-26T08:00:00Z",
    "sequence": 5,
    "tracking_ref": "T",
    "carrier": "c",
    "reason": "r",
    "description": "d",
    "location": {"city": "x", "postal_code": "1", "country": "FR", "lat": 1.5, "lon": -3},
    "eta": "2026-11-27T08:00:00+01:00",
    "pod": {"signed_by": "s", "document_b64": "AAAA", "document_mimetype": "image/png"},
    "source_status": "s",
    "extra": {"anything": [1, 2]},
}
VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.0,
    1.5,
    float("nan"),
    2**63,
    2**63 - 1,
    "",
    "FR",
    "fr",
    "FR\n",
    "x" * 300,
    "2026-11-26T08:00:00",
    "2026-11-26t08:00:00z",
    "2026-13-26T08:00:00Z",
    [],
    {},
    {"city": 1},
    {"country": "FRA"},
    {"document_b64": "x"},
    "in_transit",
    "bogus",
    "image/gif",
    -91,
    181,
]
PATHS = [*FULL, "location.lat", "location.country", "pod.document_mimetype", "pod.document_b64"]


def _jsonschema_valid(event):
    return not list(canonical._VALIDATOR.iter_errors(event))


@tagged("at_install", "-post_install")
class TestFastSchema(BaseCase):
    def test_fast_yes_implies_jsonschema_yes(self):
        check = fastschema.compile_schema(canonical.SCHEMA)
        self.assertTrue(check(FULL))
        rng = random.Random(3)
        yes = 0
        for _index in range(3000):
            event = copy.deepcopy(FULL)
            for _change in range(rng.randint(1, 3)):
                path = rng.choice(PATHS)
                head, _dot, tail = path.partition(".")
                if not tail and rng.random() < 0.2:
                    event.pop(head, None)
                elif tail and isinstance(event.get(head), dict):
                    event[head][tail] = rng.choice(VALUES)
                elif not tail:
                    event[head] = rng.choice(VALUES)
            if check(event):
                yes += 1
                self.assertTrue(_jsonschema_valid(event), event)
        self.assertGreater(yes, 100, "the fast check says yes to valid variations")

    def test_the_answers_come_from_jsonschema(self):
        """A milestone jsonschema accepts but the fast check leaves to it (1.0 as an
        integer), and the errors of an invalid event, are jsonschema's."""
        odd = dict(FULL, sequence=1.0)
        self.assertFalse(fastschema.compile_schema(canonical.SCHEMA)(odd))
        self.assertEqual(canonical.validate_events([odd]), [])
        errors = canonical.validate_events([dict(FULL, milestone="bogus")])
        self.assertEqual([(e["index"], e["field"]) for e in errors], [(0, "milestone")])

    def test_arrays_const_bounds_and_closed_objects(self):
        """The keywords of the TMS shipment request: a yes only where jsonschema agrees."""
        schema = {
            "type": "object",
            "additionalProperties": False,
            "required": ["v"],
            "properties": {
                "v": {"const": 1},
                "n": {"type": ["number", "null"], "exclusiveMinimum": 0},
                "l": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "b": {"type": "boolean"},
            },
        }
        check, validator = fastschema.compile_schema(schema), Draft202012Validator(schema)
        for value, fast in (
            ({"v": 1, "n": None, "l": ["a"], "b": False}, True),
            ({"v": 1, "n": 0.5}, True),
            ({"v": 1, "n": 0}, False),
            ({"v": 1, "l": []}, False),
            ({"v": 1, "l": [1]}, False),
            ({"v": 1, "x": 2}, False),
            ({"v": True}, False),
            ({"v": 1, "b": 1}, False),
            ({"v": 1.0}, False),  # valid for jsonschema (1.0 == 1): left to it
        ):
            self.assertEqual(check(value), fast, value)
            self.assertTrue(not fast or validator.is_valid(value), value)

    def test_unknown_keywords_leave_everything_to_jsonschema(self):
        schema = {"type": "object", "properties": {"a": {"type": "array", "uniqueItems": True}}}
        Draft202012Validator.check_schema(schema)
        self.assertFalse(fastschema.compile_schema(schema)({"a": []}))
        self.assertFalse(fastschema.compile_schema({"type": "object", "allOf": []})({}))

    def test_formats_say_yes_only_to_what_the_format_allows(self):
        """``date`` and ``date-time`` are checked as jsonschema's format checker does
        (the issue's ``2026-13-45`` fits a pattern, not the format); any other format
        is left to jsonschema."""
        checker = Draft202012Validator.FORMAT_CHECKER
        for fmt, values in (
            ("date", ["2026-11-30", "2024-02-29", "2026-13-45", "2026-02-29", "20261130", "x"]),
            (
                "date-time",
                ["2026-11-26T08:00:00Z", "2026-13-45T08:00:00Z", "2026-11-26T08:00:00", "x"],
            ),
        ):
            schema = {"type": "string", "format": fmt}
            check = fastschema.compile_schema(schema)
            validator = Draft202012Validator(schema, format_checker=checker)
            for value in values:
                self.assertEqual(check(value), validator.is_valid(value), (fmt, value))
        self.assertFalse(check("2026-13-45T08:00:00Z"))
        email = fastschema.compile_schema({"type": "string", "format": "email"})
        self.assertFalse(email("a@example.com"), "left to jsonschema")
