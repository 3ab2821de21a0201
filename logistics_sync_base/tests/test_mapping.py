# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A sender's own JSON format and HMAC header, configured from the endpoint form."""

import hashlib
import hmac
import json

from odoo.tests import HttpCase, tagged

from ..lib import mapping
from .common import LogisticsCommon, map_native_format

URL = "/logistics_sync/v1/events/%s"


def native(event_id, reference, code, at="2026-11-26T09:00:00Z", sequence=1):
    return {
        "id": event_id,
        "shipment": {"id": "SIM-1", "tracking_number": "SIM1Z1", "reference": reference},
        "status": {"code": code, "description": "scan", "at": at},
        "location": {"city": "Lyon", "zip": "69001", "country_iso": "FR"},
        "sequence": sequence,
    }


@tagged("post_install", "-at_install")
class TestMapping(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()
        map_native_format(cls.endpoint, {"PU": "picked_up", "IT": "in_transit", "DL": "delivered"})

    def _post(self, payload, secret=None, header="X-Sim-Signature"):
        raw = json.dumps(payload).encode()
        digest = hmac.new((secret or self.secret).encode(), raw, hashlib.sha256).hexdigest()
        return raw, self.url_open(
            URL % self.endpoint.code,
            data=raw,
            headers={"Content-Type": "application/json", header: digest},
        )

    def _stored(self):
        return self.env["logistics.event"].search([("endpoint_id", "=", self.endpoint.id)])

    def test_native_webhook_is_mapped_stored_verbatim_and_deduplicated(self):
        raw, response = self._post(native("n-1", self.picking.name, "PU"))
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["events"], [{"event_id": "n-1", "status": "accepted"}])
        stored = self._stored()
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored.payload, raw.decode(), "the sender's own body is kept verbatim")
        self.assertEqual(
            (stored.milestone, stored.source_status, stored.tracking_ref, stored.location_city),
            ("picked_up", "PU", "SIM1Z1", "Lyon"),
        )
        self.assertEqual(stored.location_country_code, "FR")
        self.assertEqual(stored.sequence, 1)
        _raw, again = self._post(native("n-1", self.picking.name, "PU"))
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(len(self._stored()), 1)
        self._process_pending()
        self.assertEqual(self.picking.logistics_milestone, "picked_up")

    def test_batch_of_native_payloads(self):
        batch = [
            native("b-1", self.picking.name, "PU"),
            native("b-2", self.picking.name, "IT", sequence=2),
        ]
        _raw, response = self._post(batch)
        self.assertEqual(response.status_code, 202, response.text)
        stored = self._stored()
        self.assertEqual(sorted(stored.mapped("milestone")), ["in_transit", "picked_up"])
        self.assertEqual(
            json.loads(stored.filtered(lambda e: e.external_id == "b-2").payload), batch[1]
        )

    def test_wrong_hmac_is_401_and_stores_nothing(self):
        for secret, header in (("whsec_not-the-secret", "X-Sim-Signature"), (None, "X-Other")):
            _raw, response = self._post(native("w-1", self.picking.name, "PU"), secret, header)
            self.assertEqual(response.status_code, 401, response.text)
            self.assertEqual(response.json()["error"]["code"], "invalid_signature")
            self.assertNotIn(self.secret, response.text)
        self.assertFalse(self._stored())

    def test_unmapped_status_is_422_with_index_and_path_and_stores_nothing(self):
        batch = [native("u-1", self.picking.name, "PU"), native("u-2", self.picking.name, "ZZ")]
        _raw, response = self._post(batch)
        self.assertEqual(response.status_code, 422, response.text)
        error = response.json()["error"]
        self.assertEqual(error["code"], "unmapped_payload")
        self.assertEqual(
            error["details"],
            [
                {
                    "index": 1,
                    "field": "status.code",
                    "message": "status 'ZZ' has no milestone in the mapping",
                    "path": "$[1].status.code",
                }
            ],
        )
        self.assertFalse(self._stored())
        missing = native("u-3", self.picking.name, "PU")
        del missing["status"]["at"]
        _raw, response = self._post(missing)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(response.json()["error"]["details"][0]["field"], "status.at")
        bad_time = native("u-4", self.picking.name, "PU", at="yesterday")
        _raw, response = self._post(bad_time)
        self.assertEqual(response.status_code, 422, response.text)
        error = response.json()["error"]
        self.assertEqual(error["code"], "unmapped_payload")
        self.assertEqual(error["details"][0]["path"], "$.status.at")
        self.assertIn("not an RFC 3339 date-time", error["details"][0]["message"])
        self.assertFalse(self._stored())

    def test_try_sample_payload_in_the_ui(self):
        action = self.endpoint.action_try_mapping()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.sample = json.dumps(native("t-1", "WH/OUT/1", "DL"))
        wizard.action_try()
        self.assertTrue(wizard.ok, wizard.result)
        self.assertIn('"milestone": "delivered"', wizard.result)
        wizard.sample = json.dumps(native("t-2", "WH/OUT/1", "XX"))
        wizard.action_try()
        self.assertFalse(wizard.ok)
        self.assertIn("status 'XX' has no milestone", wizard.result)
        wizard.sample = "{not json"
        wizard.action_try()
        self.assertFalse(wizard.ok)
        self.assertIn("Not JSON", wizard.result)
        self.assertFalse(self._stored(), "trying a sample stores nothing")

    def test_try_sample_shows_every_event_of_a_body_or_each_error_with_its_path(self):
        self.endpoint.write(
            {
                "map_events_path": "events",
                "map_event_id_path": False,
                "map_event_id_fields": "shipment_ref,source_status,occurred_at",
                "map_time_format": "epoch_ms",
            }
        )
        wizard = self.env["logistics.mapping.try"].create({"endpoint_id": self.endpoint.id})
        item = native("x", "WH/OUT/1", "PU", at=1795700000000)
        wizard.sample = json.dumps(
            {"events": [item, dict(item, status={"code": "DL", "at": 1795700060000})]}
        )
        wizard.action_try()
        self.assertTrue(wizard.ok, wizard.result)
        self.assertIn("2 canonical event(s)", wizard.result)
        self.assertIn('"occurred_at": "2026-11-26T', wizard.result)
        wizard.sample = json.dumps(
            {"events": [item, dict(item, status={"code": "DL", "at": "noon"})]}
        )
        wizard.action_try()
        self.assertFalse(wizard.ok)
        self.assertIn("#1 $.events[1].status.at: occurred_at:", wizard.result)
        self.assertFalse(self._stored(), "trying a sample stores nothing")

    def test_events_path_body_through_the_controller(self):
        self.endpoint.write({"map_events_path": "events"})
        body = {
            "events": [
                native("e-1", self.picking.name, "PU"),
                native("e-2", self.picking.name, "IT", sequence=2),
            ]
        }
        _raw, response = self._post(body)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual([e["event_id"] for e in response.json()["events"]], ["e-1", "e-2"])
        stored = self._stored().sorted("external_id")
        self.assertEqual(stored.mapped("milestone"), ["picked_up", "in_transit"])
        self.assertEqual(json.loads(stored[1].payload), body["events"][1])
        _raw, response = self._post({"other": []})
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(response.json()["error"]["details"][0]["path"], "$.events")
        self.assertEqual(len(self._stored()), 2, "nothing more stored")

    def test_paths_reach_into_lists(self):
        data = {"events": [{"id": "x"}, {"id": "y"}]}
        self.assertEqual(mapping.get_path(data, "events.1.id"), "y")
        self.assertIs(mapping.get_path(data, "events.5.id"), mapping._MISSING)
        self.assertIs(mapping.get_path(data, "events.id"), mapping._MISSING)
