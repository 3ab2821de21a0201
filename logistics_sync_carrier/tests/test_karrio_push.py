# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier push tracking of karrio carriers: UPS Track Alert, FedEx Tracking Webhook
and USPS Tracking Subscription through the one webhook, and the subscription job
(UPS's fake pushes to this test server for real)."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..adapters import karrio_adapter, karrio_push
from .common_karrio import KarrioCommon
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

URL = "/logistics_sync/v1/events/%s"
QUIET = (
    "odoo.addons.logistics_sync_base.controllers.events",
    "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit",
    "odoo.addons.logistics_sync_carrier.adapters",
    "urllib3.connectionpool",
)


def ups_event(number, code, kind, text, gmt=("20261126", "091519")):
    """A Track Alert message as UPSTrackAlert.yaml's webhook examples show it."""
    return {
        "trackingNumber": number,
        "localActivityDate": gmt[0],
        "localActivityTime": "041519",
        "activityLocation": {
            "city": "Charlotte",
            "stateProvince": "NC",
            "postalCode": "",
            "country": "US",
        },
        "activityStatus": {
            "type": kind,
            "code": code,
            "description": text,
            "descriptionCode": "021",
        },
        "scheduledDeliveryDate": "20261126",
        "actualDeliveryDate": "",
        "actualDeliveryTime": "",
        "gmtActivityDate": gmt[0],
        "gmtActivityTime": gmt[1],
        "deliveryStartTime": "",
        "deliveryEndTime": "",
        "deliveryTimeDescription": "end of day",
    }


def fedex_event(number, code, text, at):
    return {
        "trackingNumberInfo": {"trackingNumber": number, "carrierCode": "FDXE"},
        "latestStatusDetail": {"code": code, "description": text},
        "scanEvents": [
            {
                "date": at,
                "eventType": code,
                "eventDescription": text,
                "scanLocation": {"city": "MEMPHIS", "postalCode": "38118", "countryCode": "US"},
            }
        ],
    }


def usps_notification(number, events):
    return {
        "trackingNumber": number,
        "trackingEvents": [
            {
                "eventType": text,
                "eventCode": code,
                "eventTimestamp": at.replace("Z", ""),
                "GMTTimestamp": at,
                "eventCity": "NEW YORK",
                "eventZIP": "10001",
                "eventCountry": None,
            }
            for text, code, at in events
        ],
    }


def _b64_hmac(key, raw):
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


@tagged("post_install", "-at_install")
class TestKarrioPush(KarrioCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_karrio()

    def setUp(self):
        super().setUp()
        for fake in self.fakes.values():
            fake.reset()
        # pushes go nowhere (a closed port) unless a test waits for them
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://127.0.0.1:9")

    # ------------------------------------------------------------- helpers
    def _push_on(self, carrier, secret="carrier-push-secret-9f2"):  # noqa: S107
        endpoint = self.endpoints[carrier]
        endpoint.write({"karrio_push": True, "signing_secret": secret})
        return endpoint

    def _done_transfer(self, carrier, number):
        """A delivery the clerk validated, with the carrier's tracking number."""
        picking = self._shipment_with(carrier)
        with trap_jobs():
            self._clerk_validates(picking)
        picking.carrier_tracking_ref = number
        return picking

    def _post(self, endpoint, body, headers, content_type="application/json"):
        raw = json.dumps(body).encode()
        return self.url_open(
            URL % endpoint.code, data=raw, headers={"Content-Type": content_type, **headers}
        )

    def _events(self, endpoint):
        return self.env["logistics.event"].search([("endpoint_id", "=", endpoint.id)])

    def _wait_pushes(self, fake, count):
        deadline = time.monotonic() + 20
        while fake.stats()["pushes_sent"] < count and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(fake.stats()["pushes_sent"], count, fake.stats())

    def _fallback_poll(self, endpoint, picking):
        """The daily poll of a pushed shipment (its last poll a day ago)."""
        picking.logistics_polled_at = fields.Datetime.now() - timedelta(hours=25)
        self.assertIn(picking, self.env["stock.picking"].search(endpoint._poll_domain()))
        return endpoint._job_poll_tracking()

    def _refused(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"]["code"], code, response.text)
        return response.json()["error"]["message"]

    # ------------------------------------------------------------- set-up
    def test_switch_applies_the_carriers_push_format_and_the_pollings_table(self):
        ups = self._push_on("ups")
        self.assertEqual(ups.inbound_preset, "ups_track_alert")
        self.assertEqual((ups.signature_scheme, ups.signature_header), ("token", "credential"))
        self.assertEqual(ups.inbound_format, "mapped")
        self.assertIn("nothing to set up", ups.karrio_push_how)
        table = {line.source_code: line.milestone for line in ups.status_map_ids}
        self.assertEqual(table["FS"], "delivered")
        self.assertEqual(table["*"], "in_transit", "karrio's default for a code it does not know")
        fedex = self._push_on("fedex")
        self.assertEqual(fedex.inbound_preset, "fedex_tracking_webhook")
        self.assertIn("portal", fedex.karrio_push_how)
        # the same table as the polling: karrio's statuses through KARRIO_MILESTONES,
        # attempted deliveries as delivery_failed
        karrio_table = karrio_push._karrio_table("fedex")
        for line in fedex.status_map_ids.filtered(lambda line: line.source_code != "*"):
            expected = (
                "delivery_failed"
                if karrio_adapter.is_attempted_delivery("fedex", line.source_code, "")
                else karrio_adapter.milestone_of(karrio_table[line.source_code])
            )
            self.assertEqual(line.milestone, expected, line.source_code)
        self.assertEqual(len(fedex.status_map_ids), len(karrio_table) + 1)
        usps_rows = dict(karrio_push.status_rows("usps"))
        self.assertEqual(usps_rows["02"], "delivery_failed", "USPS's notice left")
        # only karrio carriers with a push format
        rest = self.env["logistics.endpoint"].create(
            {"name": "In-house", "code": "push-rest", "kind": "carrier"}
        )
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            rest.write({"karrio_push": True})
        self.assertIn("ups", str(caught.exception))
        rest.invalidate_recordset()
        self.assertFalse(rest.karrio_push)
        self.assertEqual(rest.inbound_format, "canonical", "nothing was changed")

    # ------------------------------------------------------------- inbound
    @mute_logger(*QUIET)
    def test_ups_push_checked_by_its_credential_and_mapped(self):
        ups = self._push_on("ups")
        picking = self._done_transfer("ups", "1Z999AA10000000077")
        out = ups_event("1Z999AA10000000077", "OT", "I", "Out for Delivery")
        for headers, status, code in (
            ({"credential": "not-the-secret"}, 401, "invalid_signature"),
            ({}, 401, "invalid_signature"),
        ):
            message = self._refused(self._post(ups, out, headers), status, code)
            self.assertIn("credential", message)
            self.assertNotIn("carrier-push-secret", message)
        bad = dict(out, gmtActivityTime=None)
        message = self._refused(
            self._post(ups, bad, {"credential": "carrier-push-secret-9f2"}),
            422,
            "unmapped_payload",
        )
        self.assertIn("payload", message)
        self._refused(
            self._post(ups, out, {"credential": "carrier-push-secret-9f2"}, "text/plain"),
            415,
            "unsupported_media_type",
        )
        self.assertFalse(self._events(ups), "nothing stored for any refusal")
        response = self._post(ups, out, {"credential": "carrier-push-secret-9f2"})
        self.assertEqual(response.status_code, 202, response.text)
        again = self._post(ups, out, {"credential": "carrier-push-secret-9f2"})
        self.assertEqual(again.status_code, 200, "the same push twice: a duplicate")
        delivered = ups_event(
            "1Z999AA10000000077", "FS", "D", "Delivered", gmt=("20261126", "135004")
        )
        self.assertEqual(
            self._post(ups, delivered, {"credential": "carrier-push-secret-9f2"}).status_code, 202
        )
        events = self._events(ups).sorted("occurred_at")
        self.assertEqual(events.mapped("milestone"), ["out_for_delivery", "delivered"])
        self.assertEqual(events[0].occurred_at, fields.Datetime.to_datetime("2026-11-26 09:15:19"))
        self.assertEqual((events[1].location_country_code, events[1].source_status), ("US", "FS"))
        self._process_pending(ups)
        self.assertEqual(picking.logistics_milestone, "delivered")
        self.assertEqual(picking.logistics_event_ids, events)

    @mute_logger(*QUIET)
    def test_fedex_push_signed_with_the_security_token(self):
        fedex = self._push_on("fedex", secret="fedex-security-token-77")
        picking = self._done_transfer("fedex", "794612345678")
        body = fedex_event("794612345678", "DE", "Delivery exception", "2026-11-26T10:02:00-06:00")
        raw = json.dumps(body).encode()
        wrong = {"fdx-signature": _b64_hmac("another-token", raw)}
        self._refused(self._post(fedex, body, wrong), 401, "invalid_signature")
        self.assertFalse(self._events(fedex))
        # FedEx: base64 HMAC-SHA256 of the payload with the security token
        response = self._post(
            fedex, body, {"fdx-signature": _b64_hmac("fedex-security-token-77", raw)}
        )
        self.assertEqual(response.status_code, 202, response.text)
        [event] = self._events(fedex)
        self.assertEqual(event.milestone, "delivery_failed", "an attempted delivery")
        self.assertEqual(event.occurred_at, fields.Datetime.to_datetime("2026-11-26 16:02:00"))
        self._process_pending(fedex)
        self.assertEqual(picking.logistics_event_ids, event)

    @mute_logger(*QUIET)
    def test_usps_notification_signed_x_hmac(self):
        usps = self.env["logistics.endpoint"].create(
            {
                "name": "USPS push",
                "code": "push-usps",
                "kind": "carrier",
                "carrier_protocol": "karrio",
                "karrio_carrier": "usps",
                "karrio_push": True,
                "signing_secret": "usps-subscription-secret-0123456",
            }
        )
        self.assertEqual(usps.inbound_preset, "usps_tracking_subscription")
        body = usps_notification(
            "9205500000000000000042",
            [
                ("Notice Left (No Authorized Recipient Available)", "02", "2026-11-26T18:04:00Z"),
                ("In Transit to Next Facility", "NT", "2026-11-26T09:00:00Z"),
            ],
        )
        raw = json.dumps(body).encode()
        self._refused(
            self._post(usps, body, {"X-HMAC": _b64_hmac("wrong", raw)}), 401, "invalid_signature"
        )
        self.assertFalse(self._events(usps))
        secret = "usps-subscription-secret-0123456"
        response = self._post(usps, body, {"X-HMAC": _b64_hmac(secret, raw)})
        self.assertEqual(response.status_code, 202, response.text)
        [event] = self._events(usps)
        self.assertEqual((event.milestone, event.source_status), ("delivery_failed", "02"))
        self.assertEqual(event.location_city, "NEW YORK")

    # ------------------------------------------------------------- subscriptions
    def _booked(self, carrier="ups"):
        picking = self._shipment_with(carrier)
        with trap_jobs() as trap:
            self._clerk_validates(picking)
            self.assertEqual(self._perform_round(trap), [], "booked at once")
            # queued with the booking, on the connection that stored it (committed with
            # it by the runner): here on this test's cursor
            jobs = list(trap.enqueued_jobs)
            for job in jobs:
                job.recordset = job.recordset.with_env(self.env)
        self.assertEqual(picking.logistics_booking_state, "booked")
        return picking, jobs

    def test_ups_subscription_then_the_carrier_pushes_to_odoo(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        ups = self._push_on("ups")
        ups.invalidate_recordset(["webhook_url"])
        picking, jobs = self._booked()
        [job] = jobs  # queued once the tracking number is known, on the endpoint's channel
        self.assertEqual(job.method_name, "_logistics_push_subscribe_job")
        self.assertEqual(job.channel, ups.channel_name)
        self.assertEqual(job.perform(), f"subscribed {picking.carrier_tracking_ref}")
        self.assertEqual(picking.logistics_push_state, "subscribed")
        self.assertAlmostEqual(
            picking.logistics_push_until,
            fields.Datetime.now() + timedelta(days=14),
            delta=timedelta(minutes=5),
        )
        fake = self.fakes["ups"]
        self.assertEqual(fake.stats()["subscriptions"], [picking.carrier_tracking_ref])
        deadline = time.monotonic() + 20
        while fake.stats()["pushes_sent"] < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(fake.stats()["pushes_sent"], 3, fake.stats())
        events = self._events(ups)
        self.assertEqual(sorted(events.mapped("source_status")), ["DP", "KB", "PU"])
        self._process_pending(ups)
        self.assertEqual(picking.logistics_milestone, "delivered")
        # a subscribed shipment is polled once a day (the fallback), not at every run
        domain = ups._poll_domain()
        self.assertNotIn(picking, self.env["stock.picking"].search(domain))
        # the job again: nothing asked of the carrier
        before = fake.stats()["requests"]
        picking._logistics_push_subscribe_job()
        self.assertEqual(fake.stats()["requests"], before)

    @mute_logger(*QUIET)
    def test_subscription_refused_is_shown_on_the_transfer(self):
        self._push_on("ups")
        # a number UPS does not know
        self._subscription_refused("ups", "1Z999AA19999999999", "valid tracking number")

    def _subscription_refused(self, carrier, number, words):
        """The subscription job of a booking whose tracking number the carrier does not
        know: refused, shown on the transfer, the secret never in the message."""
        picking, [job] = self._booked(carrier)
        picking.carrier_tracking_ref = number
        self.assertTrue(job.perform().startswith("refused"))
        self.assertEqual(picking.logistics_push_state, "refused")
        self.assertIn(words, picking.logistics_push_error)
        secret = self.endpoints[carrier].sudo().signing_secret
        self.assertNotIn(secret, picking.logistics_push_error)
        self.assertIn("polled instead", picking.message_ids[0].body)
        self.assertEqual(self.fakes[carrier].stats()["subscriptions"], [])
        poll_domain = self.endpoints[carrier]._poll_domain()
        self.assertIn(picking, self.env["stock.picking"].search(poll_domain))

    @mute_logger(*QUIET)
    def test_subscription_retried_while_the_carrier_fails(self):
        self._push_on("ups")
        self._subscription_retried("ups", "503")

    def _subscription_retried(self, carrier, kind):
        """The subscription job retried while the carrier answers ``kind``, then done."""
        fake = self.fakes[carrier]
        picking, [job] = self._booked(carrier)
        fake.script_faults({"kind": kind})
        # (not assertRaises: Odoo's rolls its savepoint back, the error recorded with it)
        try:
            job.perform()
        except RetryableJobError as exc:
            self.assertGreaterEqual(exc.seconds, 1)
        else:
            self.fail(f"a carrier answering {kind} is retried")
        picking.invalidate_recordset()
        self.assertIn(kind, picking.logistics_push_error)
        self.assertFalse(picking.logistics_push_state)
        self.assertEqual(fake.stats()["subscriptions"], [])
        self.assertTrue(job.perform().startswith("subscribed"))
        self.assertEqual(picking.logistics_push_state, "subscribed")
        self.assertFalse(picking.logistics_push_error)
        self.assertEqual(fake.stats()["subscriptions"], [picking.carrier_tracking_ref])

    # ------------------------------------------------------------- one scan, one event
    @mute_logger(*QUIET)
    def test_ups_scan_pushed_and_polled_is_one_event(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        ups = self._push_on("ups")
        ups.invalidate_recordset(["webhook_url"])
        picking, [job] = self._booked()
        # polled first (the pickup scan, at once), then UPS pushes every scan
        ups._job_poll_tracking()
        polled = self._events(ups)
        self.assertIn("PU", polled.mapped("source_status"))
        self.assertTrue(job.perform().startswith("subscribed"))
        self._wait_pushes(self.fakes["ups"], 3)
        events = self._events(ups)
        self.assertEqual(
            sorted(events.mapped("source_status")),
            ["DP", "KB", "PU"],
            "the pickup pushed after it was polled is the same event; two other scans, two events",
        )
        self.assertIn(polled, events, "the scan stored first stands")
        # the daily poll of a pushed shipment: every scan known already
        self.assertEqual(self._fallback_poll(ups, picking), "0 events accepted")
        self.assertEqual(self._events(ups), events)
        self._process_pending(ups)
        self.assertEqual(picking.logistics_milestone, "delivered")
        self.assertEqual(len(picking.logistics_event_ids), 3)

    @mute_logger(*QUIET)
    def test_fedex_scan_pushed_and_polled_is_one_event(self):
        fedex = self._push_on("fedex", secret="fedex-security-token-77")
        picking, jobs = self._booked("fedex")
        self.assertEqual(jobs, [], "FedEx pushes by account: no subscription")
        number = picking.carrier_tracking_ref
        fedex._job_poll_tracking()
        polled = self._events(fedex)
        self.assertNotIn("DL", polled.mapped("source_status"), "delivered 3 s after the booking")
        pickup = polled.filtered(lambda event: event.source_status == "PU")
        self.assertTrue(pickup)

        def push(code, text, at):
            # FedEx writes the scan's local time with its offset (Memphis, UTC-6)
            local = (at - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%S-06:00")
            body = fedex_event(number, code, text, local)
            raw = json.dumps(body).encode()
            signature = _b64_hmac("fedex-security-token-77", raw)
            return self._post(fedex, body, {"fdx-signature": signature})

        # the pickup pushed after it was polled (other details: postal code, words)
        response = push("PU", "Picked up at FedEx location", pickup.occurred_at)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["events"][0]["status"], "duplicate")
        # the delivery (3 s after the pickup at the fake) pushed before it is polled
        delivered_at = pickup.occurred_at + timedelta(seconds=3)
        response = push("DL", "Delivered", delivered_at)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(len(self._events(fedex)), len(polled) + 1, "two scans, two events")
        time.sleep(max(0, (delivered_at - fields.Datetime.now()).total_seconds()) + 1.2)
        self._fallback_poll(fedex, picking)
        events = self._events(fedex)
        self.assertEqual(sorted(events.mapped("source_status")), ["DL", "IT", "PU"])
        self.assertEqual(
            events.filtered(lambda event: event.source_status == "DL").location_postal_code,
            "38118",
            "the pushed delivery stands",
        )

    def test_an_event_polled_before_the_upgrade_is_not_stored_again(self):
        ups = self.endpoints["ups"]
        picking, _jobs = self._booked()
        number = picking.carrier_tracking_ref
        [event, *_more] = ups._carrier_client().track([number])[number]
        self.assertTrue(event["event_id"].startswith("h-"), "the push's id")
        # stored by the polling of the previous version, under its id then
        before = {
            **event,
            "event_id": f"ups:{number}:{event['occurred_at']}:{event['source_status']}",
        }
        status, _body = self.env["logistics.event"].sudo()._ingest(ups, [before])
        self.assertEqual(status, 202)
        ups._job_poll_tracking()
        events = self._events(ups)
        scans = [(e.source_status, e.occurred_at) for e in events]
        self.assertEqual(len(scans), len(set(scans)), "no scan stored twice")
        self.assertIn(before["event_id"], events.mapped("external_id"))
        # elsewhere, an id stored with other content is still a conflict (base's 409)
        rest = self.env["logistics.endpoint"].create(
            {"name": "In-house", "code": "push-rest-409", "kind": "carrier"}
        )
        Event = self.env["logistics.event"].sudo()
        self.assertEqual(Event._ingest(rest, [event])[0], 202)
        status, body = Event._ingest(rest, [{**event, "description": "other words"}])
        self.assertEqual((status, body["error"]["code"]), (409, "conflict"))
        self.assertEqual(len(self._events(rest)), 1)

    def test_polling_stays_the_fallback(self):
        ups = self._push_on("ups")
        ups.karrio_push_poll_hours = 24
        picking = self._done_transfer("ups", "1Z999AA10000000099")
        picking.write({"logistics_booking_state": "booked"})
        search = self.env["stock.picking"].search
        self.assertIn(picking, search(ups._poll_domain()), "not subscribed: polled")
        now = fields.Datetime.now()
        picking.write(
            {
                "logistics_push_state": "subscribed",
                "logistics_push_until": now + timedelta(days=14),
                "logistics_polled_at": now - timedelta(hours=2),
            }
        )
        self.assertNotIn(picking, search(ups._poll_domain()), "pushed, polled 2 h ago")
        picking.logistics_polled_at = now - timedelta(hours=25)
        self.assertIn(picking, search(ups._poll_domain()), "no poll for a day")
        picking.write(
            {"logistics_polled_at": now, "logistics_push_until": now - timedelta(hours=1)}
        )
        self.assertIn(picking, search(ups._poll_domain()), "the subscription ended")
        ups.karrio_push = False
        picking.logistics_push_until = now + timedelta(days=1)
        self.assertIn(picking, search(ups._poll_domain()), "push switched off")


@tagged("post_install", "-at_install")
class TestKarrioPushUsps(KarrioCommon, HttpCase):
    """USPS Subscriptions - Tracking against the USPS fake, booked by an Inventory / User."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_usps()
        cls.usps = cls.endpoints["usps"]
        cls.clerk = plain_user(cls, "ls_push_usps_clerk", "stock.group_stock_user")

    def setUp(self):
        super().setUp()
        self.fake.reset()
        karrio_adapter.forget_tokens(f"{self.env.cr.dbname}/{self.usps.id}/usps")
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.usps.write({"karrio_push": True, "signing_secret": "usps-subscription-secret-0123456"})
        self.usps.invalidate_recordset(["webhook_url"])

    _booked = TestKarrioPush._booked
    _events = TestKarrioPush._events
    _wait_pushes = TestKarrioPush._wait_pushes
    _fallback_poll = TestKarrioPush._fallback_poll
    _subscription_retried = TestKarrioPush._subscription_retried
    _subscription_refused = TestKarrioPush._subscription_refused

    def test_usps_subscription_sends_the_listener_and_its_secret(self):
        picking, jobs = self._booked("usps")
        [job] = jobs  # queued once the tracking number is known, on the endpoint's channel
        self.assertEqual(job.method_name, "_logistics_push_subscribe_job")
        self.assertEqual(job.channel, self.usps.channel_name)
        self.assertTrue(job.perform().startswith("subscribed "))
        self.assertEqual(picking.logistics_push_state, "subscribed")
        self.assertFalse(picking.logistics_push_error)
        # USPS states no end: DEFAULT_DAYS
        self.assertAlmostEqual(
            picking.logistics_push_until,
            fields.Datetime.now() + timedelta(days=30),
            delta=timedelta(minutes=5),
        )
        self.assertIn("pushes the tracking events", picking.message_ids[0].body)
        self.assertEqual(self.fake.stats()["subscriptions"], [picking.carrier_tracking_ref])
        # USPS notifies the listener URL sent, signed with the secret sent: taken
        self._wait_pushes(self.fake, 4)
        events = self._events(self.usps).sorted("occurred_at")
        self.assertEqual(events.mapped("source_status"), ["03", "NT", "02", "01"])
        self.assertEqual(set(events.mapped("tracking_ref")), {picking.carrier_tracking_ref})
        # the job again: nothing asked of the carrier
        before = self.fake.stats()["requests"]
        picking._logistics_push_subscribe_job()
        self.assertEqual(self.fake.stats()["requests"], before)

    @mute_logger(*QUIET)
    def test_usps_subscription_refused_is_shown_on_the_transfer(self):
        # a number USPS does not know
        self._subscription_refused("usps", "9205500000000000000000", "cannot be found")

    @mute_logger(*QUIET)
    def test_usps_subscription_retried_while_the_carrier_fails(self):
        self._subscription_retried("usps", "500")

    @mute_logger(*QUIET)
    def test_usps_scan_pushed_and_polled_is_one_event(self):
        picking, [job] = self._booked("usps")
        self.usps._job_poll_tracking()
        polled = self._events(self.usps)
        self.assertIn("03", polled.mapped("source_status"))
        self.assertTrue(job.perform().startswith("subscribed"))
        # a notification per scan: accepted (polled already), in transit, notice left,
        # delivered
        self._wait_pushes(self.fake, 4)
        events = self._events(self.usps)
        self.assertEqual(sorted(events.mapped("source_status")), ["01", "02", "03", "NT"])
        self.assertIn(polled, events)
        self.assertEqual(self._fallback_poll(self.usps, picking), "0 events accepted")
        self.assertEqual(self._events(self.usps), events)
        self._process_pending(self.usps)
        self.assertEqual(picking.logistics_milestone, "delivered")
