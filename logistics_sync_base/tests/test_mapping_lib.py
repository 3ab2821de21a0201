# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The no-code mapping (lib/mapping.py, timeparse.py, countries.py): plain values."""

from odoo.tests import BaseCase, tagged

from ..lib import countries, mapping, timeparse

PATHS = {
    "event_id": "",
    "shipment_ref": "number",
    "tracking_ref": "number",
    "status": "track.e",
    "occurred_at": "track.z0.a",
    "location.country": "track.z0.d",
}


def item(number, status, at="2026-11-26 17:05", country="France"):
    return {"number": number, "track": {"e": status, "z0": {"a": at, "d": country}}}


def build(**over):
    options = {
        "events_path": "data",
        "event_id_fields": ("tracking_ref", "source_status", "occurred_at"),
        "time_format": "local",
        "time_zone": "Asia/Shanghai",
    }
    options.update(over)
    return mapping.build(PATHS, {"40": "delivered", "10": "in_transit"}, **options)


@tagged("at_install", "-post_install")
class TestMappingLib(BaseCase):
    def test_dotted_paths_and_jsonpath_share_one_compiled_form(self):
        data = {"events": [{"id": "x"}, {"id": "y"}], "a-b": {"c": 1}}
        self.assertEqual(mapping.get_path(data, "events.1.id"), "y")
        self.assertEqual(mapping.get_path(data, "events.-1.id"), "y")
        self.assertEqual(mapping.get_path(data, "$.events[0].id"), "x")
        self.assertEqual(mapping.get_path(data, "$.events.0.id"), "x")
        self.assertEqual(mapping.get_path(data, "a-b.c"), 1)
        self.assertIs(mapping.get_path(data, "events.5.id"), mapping._MISSING)
        self.assertIs(mapping.get_path(data, "events.id"), mapping._MISSING)
        # compiled once: the same expression object for the same text
        self.assertIs(mapping.compile_path("status.code"), mapping.compile_path("status.code"))
        for bad in ("a..b", "$.[[", "events["):
            with self.assertRaisesRegex(ValueError, "path"):
                mapping.compile_path(bad)

    def test_events_path_maps_each_item_with_derived_stable_ids(self):
        body = {"event": "TRACKING_UPDATED", "data": [item("RR1", 10), item("RR1", 40)]}
        events, errors, originals = mapping.map_body(build(), body)
        self.assertEqual(errors, [])
        self.assertEqual(originals, body["data"])
        self.assertEqual([e["milestone"] for e in events], ["in_transit", "delivered"])
        self.assertEqual(
            events[1]["occurred_at"], "2026-11-26T09:05:00Z", "local time read in +08:00"
        )
        self.assertEqual(events[1]["location"], {"country": "FR"})
        self.assertNotEqual(events[0]["event_id"], events[1]["event_id"])
        again, _errors, _originals = mapping.map_body(build(), {"data": [item("RR1", 40)]})
        self.assertEqual(again[0]["event_id"], events[1]["event_id"], "same content, same id")
        # an events path holding one object instead of an array
        single, errors, _originals = mapping.map_body(build(), {"data": item("RR2", 40)})
        self.assertEqual((len(single), errors), (1, []))

    def test_each_error_names_its_event_and_path(self):
        body = {"data": [item("RR1", 40), item("RR2", 99, at="soon", country="Atlantis")]}
        events, errors, _originals = mapping.map_body(build(), body)
        self.assertEqual(len(events), 2)
        self.assertEqual(
            [(e["index"], e["path"]) for e in errors],
            [(1, "$.data[1].track.e"), (1, "$.data[1].track.z0.a"), (1, "$.data[1].track.z0.d")],
        )
        self.assertIn("status '99' has no milestone", errors[0]["message"])
        _events, errors, _originals = mapping.map_body(build(), {"data": []})
        self.assertEqual(errors[0]["path"], "$.data")
        _events, errors, _originals = mapping.map_body(build(event_id_fields=()), body)
        self.assertEqual(
            errors,
            [
                {
                    "index": 0,
                    "field": "event_id",
                    "message": "no path configured for event_id",
                    "path": "$",
                }
            ],
        )
        with self.assertRaisesRegex(ValueError, "unknown time zone"):
            build(time_zone="Mars/Olympus")
        with self.assertRaisesRegex(ValueError, "event id fields: unknown picking_id"):
            build(event_id_fields=("picking_id",))

    def test_times_in_every_format_end_in_utc(self):
        self.assertEqual(timeparse.to_rfc3339("2026-11-26T17:05:00+01:00"), "2026-11-26T16:05:00Z")
        self.assertEqual(timeparse.to_rfc3339("2026-11-26T16:05:00z"), "2026-11-26T16:05:00Z")
        self.assertEqual(
            timeparse.to_rfc3339("2026-07-01 12:00", "local", "Europe/Paris"),
            "2026-07-01T10:00:00Z",
        )
        # a local-time sender that does give an offset keeps it
        self.assertEqual(
            timeparse.to_rfc3339("2026-07-01T12:00:00-04:00", "local", "Europe/Paris"),
            "2026-07-01T16:00:00Z",
        )
        self.assertEqual(timeparse.to_rfc3339(1_790_000_000, "epoch_s"), "2026-09-21T14:13:20Z")
        self.assertEqual(
            timeparse.to_rfc3339("1790000000500", "epoch_ms"), "2026-09-21T14:13:20.500000Z"
        )
        for value, fmt in (
            ("2026-11-26T17:05:00", "rfc3339"),
            ("yesterday", "rfc3339"),
            (1_790_000_000, "rfc3339"),
            ("26/11/2026", "local"),
            ("soon", "epoch_s"),
            (10**20, "epoch_ms"),
        ):
            with self.assertRaises(ValueError):
                timeparse.to_rfc3339(value, fmt)

    def test_countries_alpha2_alpha3_and_names(self):
        for value in ("FR", "fr", "FRA", "France", " france "):
            self.assertEqual(countries.to_alpha2(value), "FR")
        self.assertEqual(countries.to_alpha2("United States"), "US")
        self.assertEqual(countries.to_alpha2("UK"), "GB")
        for bad in ("", "Atlantis", "XX"):
            with self.assertRaises(ValueError):
                countries.to_alpha2(bad)
