# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Every answer of the inbound contract, each proving what was (not) stored."""

import base64
import json
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from odoo.tests import HttpCase, tagged

from .common import LogisticsCommon, event

URL = "/logistics_sync/v1/events/%s"


@tagged("post_install", "-at_install")
class TestWebhook(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()

    def _counts(self):
        return (
            self.env["logistics.event"].search_count([]),
            self.env["queue.job"].search_count([("channel", "like", "root.logistics_sync%")]),
        )

    def post(self, body, code="test-carrier", headers=None, **sign):
        raw, signed = self._signed(body, **sign)
        if headers is not None:
            signed = headers
        return self.url_open(URL % code, data=raw, headers=signed)

    def assertError(self, response, status, code, before):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        error = response.json()["error"]
        self.assertEqual(error["code"], code)
        self.assertTrue(error["message"])
        self.assertIsInstance(error["details"], list)
        self.assertNotIn(self.secret, response.text)
        self.assertEqual(self._counts(), before, "a refused request stored nothing")
        return error

    # ----------------------------------------------------------------- 202 / 200
    def test_accepted_single_event_is_stored_and_queued_not_applied(self):
        before = self._counts()
        body = event(
            "evt-1", self.picking.name, "picked_up", location={"city": "Lyon", "country": "FR"}
        )
        response = self.post(body)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["events"], [{"event_id": "evt-1", "status": "accepted"}])
        stored = self.env["logistics.event"].search([("external_id", "=", "evt-1")])
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored.state, "received")
        self.assertEqual(stored.milestone, "picked_up")
        self.assertEqual(stored.location_city, "Lyon")
        self.assertEqual(json.loads(stored.payload), body)
        self.assertEqual(self._counts(), (before[0] + 1, before[1] + 1))
        job = self.env["queue.job"].search([], order="id desc", limit=1)
        self.assertEqual(job.channel, "root.logistics_sync.test-carrier")
        self.assertEqual(job.method_name, "_job_process_pending")
        # the answer did not wait for the stock update
        self.assertFalse(self.picking.logistics_milestone)

    def test_batch_accepted_and_one_job_for_the_request(self):
        before = self._counts()
        batch = [event(f"b-{i}", self.picking.name, "in_transit", minutes=i) for i in range(3)]
        response = self.post(batch)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual([e["status"] for e in response.json()["events"]], ["accepted"] * 3)
        self.assertEqual(self._counts(), (before[0] + 3, before[1] + 1))

    def test_duplicate_same_content_answers_200_and_stores_nothing_new(self):
        body = event("dup-1", self.picking.name, "booked")
        self.assertEqual(self.post(body).status_code, 202)
        before = self._counts()
        # same content, other key order and spacing
        raw = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
        response = self.post(raw)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["status"], "duplicate")
        self.assertEqual(response.json()["events"], [{"event_id": "dup-1", "status": "duplicate"}])
        self.assertEqual(self._counts(), before)

    def test_batch_mixing_new_and_duplicate(self):
        self.post(event("mix-1", self.picking.name, "booked"))
        before = self._counts()
        response = self.post(
            [
                event("mix-1", self.picking.name, "booked"),
                event("mix-2", self.picking.name, "picked_up"),
            ]
        )
        self.assertEqual(response.status_code, 202)
        self.assertEqual(
            [e["status"] for e in response.json()["events"]], ["duplicate", "accepted"]
        )
        self.assertEqual(self._counts()[0], before[0] + 1)

    def test_unknown_fields_are_kept_raw_but_never_assigned(self):
        body = event(
            "extra-1", self.picking.name, "booked", state="applied", picking_id=1, company_id=999
        )
        self.assertEqual(self.post(body).status_code, 202)
        stored = self.env["logistics.event"].search([("external_id", "=", "extra-1")])
        self.assertEqual(stored.state, "received")
        self.assertFalse(stored.picking_id)
        self.assertEqual(stored.company_id, self.company)
        self.assertEqual(json.loads(stored.payload)["company_id"], 999)

    # ----------------------------------------------------------------- refusals
    def test_409_same_id_other_content_stores_nothing(self):
        self.post(event("c-1", self.picking.name, "booked"))
        before = self._counts()
        response = self.post(event("c-1", self.picking.name, "delivered"))
        error = self.assertError(response, 409, "conflict", before)
        self.assertIn("c-1", error["message"])
        self.assertEqual(error["details"], [{"event_id": "c-1"}])
        stored = self.env["logistics.event"].search([("external_id", "=", "c-1")])
        self.assertEqual(stored.milestone, "booked")

    def test_409_conflict_inside_one_batch(self):
        before = self._counts()
        response = self.post(
            [
                event("c-2", self.picking.name, "booked"),
                event("c-2", self.picking.name, "picked_up"),
            ]
        )
        self.assertError(response, 409, "conflict", before)

    def test_400_body_not_json(self):
        before = self._counts()
        error = self.assertError(self.post(b"{not json"), 400, "invalid_json", before)
        self.assertIn("not JSON", error["message"])

    def test_400_signed_body_not_utf8_is_not_a_signature_error(self):
        """CONTRACT: a body that is not JSON answers 400; the signature covers the raw
        bytes, so a correctly signed UTF-16 body (BOM FF FE) is never told its secret is
        wrong."""
        before = self._counts()
        raw = json.dumps(event("u-1", self.picking.name, "booked")).encode("utf-16")
        self.assertEqual(raw[:2], b"\xff\xfe")
        stamp = int(time.time())
        # the reference implementation signs the same bytes the same way
        expected = Webhook(self.secret).sign("msg-u", datetime.fromtimestamp(stamp, UTC), raw)
        raw, headers = self._signed(raw, msg_id="msg-u", timestamp=stamp)
        self.assertEqual(headers["webhook-signature"], expected)
        error = self.assertError(
            self.url_open(URL % "test-carrier", data=raw, headers=headers),
            400,
            "invalid_json",
            before,
        )
        self.assertEqual(error["message"], "Body is not UTF-8 encoded JSON.")
        # the same bytes signed with another secret are still a signature error
        other = "whsec_" + base64.b64encode(b"another secret, 32 bytes long!!!").decode()
        raw, headers = self._signed(raw, secret=other, msg_id="msg-u", timestamp=stamp)
        error = self.assertError(
            self.url_open(URL % "test-carrier", data=raw, headers=headers),
            401,
            "invalid_signature",
            before,
        )
        self.assertIn("does not match", error["message"])

    def test_401_missing_signature(self):
        before = self._counts()
        raw = json.dumps(event("s-1", self.picking.name, "booked")).encode()
        response = self.url_open(
            URL % "test-carrier", data=raw, headers={"Content-Type": "application/json"}
        )
        error = self.assertError(response, 401, "invalid_signature", before)
        self.assertIn("missing", error["message"])

    def test_401_wrong_secret(self):
        before = self._counts()
        other = "whsec_" + "A" * 43 + "="
        response = self.post(event("s-2", self.picking.name, "booked"), secret=other)
        error = self.assertError(response, 401, "invalid_signature", before)
        self.assertIn("does not match", error["message"])

    def test_401_tampered_body(self):
        before = self._counts()
        raw, headers = self._signed(event("s-3", self.picking.name, "booked"))
        tampered = raw.replace(b"booked", b"delivered")
        response = self.url_open(URL % "test-carrier", data=tampered, headers=headers)
        self.assertError(response, 401, "invalid_signature", before)

    def test_401_timestamp_outside_window_past_and_future(self):
        before = self._counts()
        for skew in (-301, 301):
            response = self.post(
                event("s-4", self.picking.name, "booked"), timestamp=int(time.time()) + skew
            )
            error = self.assertError(response, 401, "invalid_signature", before)
            self.assertIn("window", error["message"])

    def test_previous_secret_accepted_during_rotation(self):
        old = self.secret
        self.endpoint.sudo().write(
            {"previous_signing_secret": old, "signing_secret": "whsec_" + "B" * 43 + "="}
        )
        response = self.post(event("rot-1", self.picking.name, "booked"), secret=old)
        self.assertEqual(response.status_code, 202, response.text)
        self.endpoint.sudo().previous_signing_secret = False
        before = self._counts()
        response = self.post(event("rot-2", self.picking.name, "booked"), secret=old)
        self.assertError(response, 401, "invalid_signature", before)

    def test_404_unknown_or_inactive_endpoint(self):
        before = self._counts()
        self.assertError(
            self.post(event("n-1", self.picking.name, "booked"), code="nope"),
            404,
            "unknown_endpoint",
            before,
        )
        self.endpoint.active = False
        self.assertError(
            self.post(event("n-2", self.picking.name, "booked")), 404, "unknown_endpoint", before
        )

    def test_413_body_over_limit(self):
        self.endpoint.max_body_kb = 1
        before = self._counts()
        body = event("big-1", self.picking.name, "booked", description="x" * 2000)
        self.assertError(self.post(body), 413, "too_large", before)

    def test_415_not_json_content_type(self):
        before = self._counts()
        raw, headers = self._signed(event("t-1", self.picking.name, "booked"))
        headers["Content-Type"] = "text/plain"
        response = self.url_open(URL % "test-carrier", data=raw, headers=headers)
        self.assertError(response, 415, "unsupported_media_type", before)

    def test_422_schema_violation_in_batch_reports_index_and_field(self):
        before = self._counts()
        batch = [
            event("v-1", self.picking.name, "booked"),
            event("v-2", self.picking.name, "teleported", location={"country": "France"}),
            {"event_id": "v-3"},
        ]
        error = self.assertError(self.post(batch), 422, "invalid_events", before)
        found = {(d["index"], d["field"]) for d in error["details"]}
        self.assertEqual(
            found,
            {
                (1, "milestone"),
                (1, "location.country"),
                (2, "shipment_ref"),
                (2, "milestone"),
                (2, "occurred_at"),
            },
        )
        self.assertIn("nothing was stored", error["message"])

    def test_422_unknown_event_type_names_the_type(self):
        before = self._counts()
        body = {
            "type": "teleport_order",
            "event_id": "ty-1",
            "shipment_ref": self.picking.name,
            "occurred_at": "2026-11-26T10:00:00Z",
        }
        error = self.assertError(self.post(body), 422, "invalid_events", before)
        self.assertEqual([(d["index"], d["field"]) for d in error["details"]], [(0, "type")])
        self.assertIn("unknown event type 'teleport_order'", error["details"][0]["message"])

    def test_undeclared_type_on_a_milestone_event_is_an_extra_field(self):
        # version 1 senders may carry a "type" of their own: it stays an extra field
        body = event("ty-2", self.picking.name, "booked", type="carrier_scan")
        response = self.post(body)
        self.assertEqual(response.status_code, 202, response.text)
        stored = self.env["logistics.event"].search([("external_id", "=", "ty-2")])
        self.assertEqual((stored.event_type, stored.milestone), ("milestone", "booked"))

    def test_hostile_bodies_get_contract_answers_not_500(self):
        before = self._counts()
        # a pod that is not an object
        body = event("h-1", self.picking.name, "pod_received", pod="signed")
        error = self.assertError(self.post(body), 422, "invalid_events", before)
        self.assertEqual(error["details"][0]["field"], "pod")
        # a NUL character, which PostgreSQL cannot store
        body = event("h-2", self.picking.name, "booked", description="a\x00b")
        error = self.assertError(self.post(body), 422, "invalid_events", before)
        self.assertEqual(
            error["details"],
            [{"index": 0, "field": "description", "message": error["details"][0]["message"]}],
        )
        self.assertIn("NUL", error["details"][0]["message"])
        # nesting deeper than the JSON decoder follows
        deep = '{"event_id": "h-3", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
        error = self.assertError(self.post(deep.encode()), 400, "invalid_json", before)
        self.assertIn("nested too deeply", error["message"])

    def test_422_occurred_at_without_offset_and_empty_batch(self):
        before = self._counts()
        body = event("v-4", self.picking.name, "booked")
        body["occurred_at"] = "2026-11-26T08:00:00"
        error = self.assertError(self.post(body), 422, "invalid_events", before)
        self.assertEqual(error["details"][0]["field"], "occurred_at")
        self.assertError(self.post([]), 422, "invalid_payload", before)

    def test_sequence_takes_64_bit_integers_and_refuses_beyond(self):
        # millisecond timestamps as sequence numbers (CONTRACT: up to 2^63 - 1)
        body = event("v-5", self.picking.name, "booked", sequence=1_795_000_000_000)
        self.assertEqual(self.post(body).status_code, 202)
        stored = self.env["logistics.event"].search([("external_id", "=", "v-5")])
        self.assertEqual(stored.sequence, 1_795_000_000_000)
        top = event("v-6", self.picking.name, "booked", sequence=2**63 - 1)
        self.assertEqual(self.post(top).status_code, 202)
        self.env.cr.execute("SELECT sequence FROM logistics_event WHERE external_id = 'v-6'")
        self.assertEqual(self.env.cr.fetchone()[0], 2**63 - 1)
        before = self._counts()
        over = event("v-7", self.picking.name, "booked", sequence=2**63)
        error = self.assertError(self.post(over), 422, "invalid_events", before)
        self.assertEqual(error["details"][0]["field"], "sequence")

    def test_422_batch_over_the_setting(self):
        self.env["ir.config_parameter"].sudo().set_param("logistics_sync.max_batch_size", 2)
        before = self._counts()
        batch = [event(f"m-{i}", self.picking.name, "booked") for i in range(3)]
        error = self.assertError(self.post(batch), 422, "batch_too_large", before)
        self.assertIn("at most 2", error["message"])

    def test_429_rate_limit_with_retry_after(self):
        self.endpoint.rate_limit_per_minute = 2
        for i in range(2):
            response = self.post(event(f"r-{i}", self.picking.name, "booked"), code="test-carrier")
            self.assertEqual(response.status_code, 202)
        before = self._counts()
        response = self.post(event("r-3", self.picking.name, "booked"), code="test-carrier")
        self.assertError(response, 429, "rate_limited", before)
        self.assertGreater(int(response.headers["Retry-After"]), 0)

    def test_403_source_not_in_allowed_networks(self):
        self.endpoint.allowed_networks = "203.0.113.0/24"
        before = self._counts()
        response = self.post(event("ip-1", self.picking.name, "booked"))
        self.assertError(response, 403, "forbidden_source", before)
        self.endpoint.allowed_networks = "127.0.0.0/8"
        self.assertEqual(self.post(event("ip-1", self.picking.name, "booked")).status_code, 202)

    def test_get_is_not_allowed(self):
        response = self.url_open(URL % "test-carrier")
        self.assertEqual(response.status_code, 405)
