# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""USPS (apis.usps.com v3) through karrio's ``usps`` and ``usps_international``
extensions, against the USPS fake on 127.0.0.1, as an Inventory / User in no
Logistics Sync group: domestic and international labels, refusals in the
carrier's words, uncertain outcomes, and the two tracking corrections
(attempted delivery, local times) of docs/upstream/karrio-tracking.md."""

import base64
import datetime
import json
import time

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..adapters import karrio_adapter
from .common_karrio import CLIENT_SECRET, KarrioCommon, karrio_settings
from .test_karrio import QUIET
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestKarrioUsps(KarrioCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_usps(
            ("usps", "usps_international"), second=("USPS International", "test-usps-int")
        )
        cls.abroad = cls.env["res.partner"].create(
            {
                "name": "Client a Lyon",
                "street": "1 Rue de la Paix",
                "city": "Lyon",
                "zip": "69001",
                "country_id": cls.env.ref("base.fr").id,
                "phone": "+33 4 1234567",
            }
        )
        cls.clerk = plain_user(cls, "ls_usps_clerk", "stock.group_stock_user")

    def setUp(self):
        super().setUp()
        self.fake.reset()
        for carrier, endpoint in self.endpoints.items():
            # a new access and payment token at each test (the fake keeps old ones valid)
            karrio_adapter.forget_tokens(f"{self.env.cr.dbname}/{endpoint.id}/{carrier}")

    def _ship(self, carrier, packages=0, quantity=1, partner=None):
        picking = self._shipment_with(carrier, quantity=quantity)
        if partner:
            picking.partner_id = partner
        with trap_jobs() as trap:
            self._clerk_validates(picking, packages=packages)
            self.assertEqual(self.fake.stats()["bookings"], 0, "validation only queues")
            self._run_jobs(trap)
        return picking

    def _labels(self, picking):
        return self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )

    def _activities(self, picking):
        return picking.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("logistics_sync_base.mail_activity_logistics_exception")
        )

    # ----------------------------------------------------------------- booking
    def test_usps_is_listed_as_verified(self):
        names = dict(karrio_adapter.available_carriers())
        self.assertNotIn("not verified", names["usps"])
        self.assertNotIn("not verified", names["usps_international"])

    def test_domestic_label_per_parcel_once(self):
        picking = self._ship("usps", packages=2, quantity=2)
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertTrue(picking.carrier_tracking_ref.startswith("92055"))
        labels = self._labels(picking)
        self.assertEqual(len(labels), 2, "one label per parcel")
        self.assertTrue(all(base64.b64decode(a.datas).startswith(b"%PDF-") for a in labels))
        stats = self.fake.stats()
        self.assertEqual(stats["labels"], 2)
        # USPS has no multi-piece shipment: one label request per parcel, with our reference
        self.assertEqual(stats["bookings_by_reference"], {picking.name: 2})
        # priced as the sum of its labels' postage (karrio's merge of the parcels read 0.00)
        booking = picking._logistics_booking_record()
        self.assertEqual((booking.price, booking.currency), (20.8, "USD"))
        sent = self.fake.last_booking()
        self.assertEqual(sent["packageDescription"]["mailClass"], "PRIORITY_MAIL")
        self.assertEqual(sent["toAddress"]["ZIPCode"], "10118")
        with trap_jobs() as trap:
            picking._logistics_book_job()
            picking.with_user(self.clerk).send_to_shipper()
            trap.assert_jobs_count(0)
        self.assertEqual(self.fake.stats()["labels"], 2, "never a label twice")

    def test_international_label_sends_customs_from_odoo(self):
        picking = self._ship("usps_international", partner=self.abroad)
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertRegex(picking.carrier_tracking_ref, r"^LX\d{9}US$")
        sent = self.fake.last_booking()
        self.assertEqual(sent["toAddress"]["countryISOAlpha2Code"], "FR")
        [content] = sent["customsForm"]["contents"]
        self.assertEqual(content["HSTariffNumber"], "8479.89")
        self.assertEqual(content["countryofOrigin"], "US")
        self.assertEqual(len(self._labels(picking)), 1)

    def test_rates_domestic_and_refusal_in_the_carriers_words(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                ],
            }
        )
        result = self.carriers["usps"].rate_shipment(order)
        self.assertTrue(result["success"], result)
        self.assertGreater(result["price"], 10.0, "Priority Mail, not a 0")
        self.customer.zip = "00000"
        with mute_logger(*QUIET):
            result = self.carriers["usps"].rate_shipment(order)
        self.customer.zip = "10118"
        self.assertFalse(result["success"])
        # karrio drops USPS's rate errors: our transport kept the carrier's words
        self.assertIn("ZIP Code 00000 is not valid", result["error_message"])

    # --------------------------------------------------------------- bad input
    def _refused(self, expected, carrier="usps", partner=None):
        picking = self._ship(carrier, partner=partner)
        self.assertEqual(picking.logistics_booking_state, "failed")
        self.assertIn(expected, picking.logistics_booking_error)
        self.assertNotIn("{", picking.logistics_booking_error, "words, not a payload")
        self.assertEqual(len(self._activities(picking)), 1)
        self.assertEqual(self.fake.stats()["bookings"], 0, "nothing booked")
        self.assertFalse(self._labels(picking))
        return picking

    def _retry_after_fix(self, picking, carrier="usps"):
        with trap_jobs() as trap:
            picking.with_user(self.clerk).send_to_shipper()
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertEqual(self.fake.stats()["bookings_by_reference"], {picking.name: 1})

    @mute_logger(*QUIET)
    def test_refused_address_then_retried_after_fix(self):
        self.customer.zip = "00000"
        picking = self._refused("ZIP Code 00000 is not valid")
        self.customer.zip = "10118"
        self._retry_after_fix(picking)

    @mute_logger(*QUIET)
    def test_parcel_over_70_lb_then_retried_after_fix(self):
        self.product.weight = 40.0
        picking = self._refused("maximum of 70 lbs")
        self.product.weight = 2.0
        self._retry_after_fix(picking)

    @mute_logger(*QUIET)
    def test_service_not_on_the_lane_then_retried_after_fix(self):
        self.endpoint.carrier_service = "usps_connect_local"
        self.customer.zip = "94105"
        picking = self._refused("USPS Connect Local is not available")
        self.endpoint.carrier_service = "usps_priority_mail"
        self._retry_after_fix(picking)

    @mute_logger(*QUIET)
    def test_expired_credential_then_retried_after_fix(self):
        self.endpoint.karrio_settings = json.dumps(karrio_settings("usps", "expired-secret-9"))
        picking = self._refused("refused the credentials")
        self.endpoint.karrio_settings = json.dumps(karrio_settings("usps", CLIENT_SECRET))
        self._retry_after_fix(picking)

    @mute_logger(*QUIET)
    def test_domestic_carrier_refuses_an_international_lane(self):
        self._refused("not serviced", partner=self.abroad)
        self.assertEqual(self.fake.stats()["requests"], 0, "refused before any request")

    # ------------------------------------------------------------------ faults
    @mute_logger(*QUIET)
    def test_timeout_after_the_label_is_stored_is_uncertain(self):
        self.fake.config(timeout_sleep=10.5)
        self.fake.script_faults({"kind": "timeout", "after": True})
        picking = self._ship("usps")
        self.assertEqual(picking.logistics_booking_state, "uncertain")
        self.assertIn("answer was lost", picking.logistics_booking_error)
        self.assertEqual(len(self._activities(picking)), 1)
        self.assertEqual(self.fake.stats()["labels"], 1, "USPS stored it")
        with trap_jobs() as trap:
            picking._logistics_book_job()
            picking.with_user(self.clerk).send_to_shipper()
            trap.assert_jobs_count(0)
        self.assertEqual(self.fake.stats()["labels"], 1, "never sent again blindly")

    @mute_logger(*QUIET)
    def test_transient_faults_before_the_label_are_retried_and_book_once(self):
        # a 503 on the token, a 429 on the payment authorization, a 502 without storing
        self.fake.script_faults({"kind": "503"}, {"kind": "429"}, {"kind": "502"})
        picking = self._ship("usps")
        self.assertEqual(picking.logistics_booking_state, "booked", picking.logistics_booking_error)
        self.assertEqual(self.fake.stats()["bookings_by_reference"], {picking.name: 1})

    @mute_logger(*QUIET)
    def test_garbled_label_answer_is_uncertain(self):
        self.fake.malformed("garbage")
        picking = self._ship("usps")
        self.assertEqual(picking.logistics_booking_state, "uncertain")
        self.assertFalse(self._labels(picking), "no label from an answer we cannot read")

    def test_cancel_voids_the_label(self):
        picking = self._ship("usps")
        picking.with_user(self.clerk).cancel_shipment()
        self.assertEqual(picking.logistics_booking_state, "cancelled")
        self.assertEqual(self.fake.stats()["cancelled"], 1)

    # ---------------------------------------------------------------- tracking
    def test_tracking_attempted_delivery_and_utc_times(self):
        picking = self._ship("usps")
        booked_at = datetime.datetime.utcnow()
        time.sleep(3.3)  # the fake's parcel: accepted, in transit, notice left, delivered
        self.assertGreaterEqual(self.endpoint._poll_tracking(), 4)
        self._process_pending()
        events = self.env["logistics.event"].search(
            [("endpoint_id", "=", self.endpoint.id)], order="occurred_at"
        )
        self.assertEqual(
            events.mapped("milestone"),
            ["picked_up", "in_transit", "delivery_failed", "delivered"],
            "the attempted delivery (notice left) is not 'in transit'",
        )
        for event in events:
            # USPS writes Eastern local times: read as UTC they would be 5 hours early
            drift = abs((event.occurred_at - booked_at).total_seconds())
            self.assertLess(drift, 60, (event.milestone, event.occurred_at, booked_at))
        self.assertEqual(picking.logistics_milestone, "delivered")


@tagged("post_install", "-at_install")
class TestKarrioTrackingCorrections(TransactionCase):
    """The plain corrections of karrio's tracking, on the carriers' own shapes."""

    def _event(self, **values):
        from karrio.core.models import TrackingEvent

        return TrackingEvent(**{"date": "2026-12-07", "time": "10:15 AM", **values})

    def test_ups_local_time_is_read_through_its_gmt_fields(self):
        body = json.dumps(
            {
                "activity": [
                    {
                        "date": "20261207",
                        "time": "101500",
                        "gmtDate": "20261207",
                        "gmtTime": "09:15:00",
                        "gmtOffset": "+01:00",
                    }
                ]
            }
        ).encode()
        times = karrio_adapter.raw_utc_times([body])
        event = self._event(status="in_transit", code="DP", timestamp="2026-12-07T10:15:00.000Z")
        result = karrio_adapter.to_canonical("ups", "1Z1", event, times)
        self.assertEqual(result["occurred_at"], "2026-12-07T09:15:00Z")

    def test_fedex_offset_is_kept(self):
        body = json.dumps({"scanEvents": [{"date": "2026-12-07T10:15:00-06:00"}]}).encode()
        event = self._event(status="in_transit", code="IT", timestamp="2026-12-07T10:15:00.000Z")
        result = karrio_adapter.to_canonical(
            "fedex", "79", event, karrio_adapter.raw_utc_times([body])
        )
        self.assertEqual(result["occurred_at"], "2026-12-07T16:15:00Z")

    def test_attempted_delivery_is_delivery_failed(self):
        for carrier, status, code, text in (
            ("usps", None, "02", "Notice Left (No Authorized Recipient Available)"),
            ("ups", "on_hold", "48", "THE RECEIVER WAS NOT AVAILABLE FOR DELIVERY."),
            ("fedex", None, "DE", "Delivery exception"),
        ):
            event = self._event(
                status=status, code=code, description=text, timestamp="2026-12-07T10:15:00.000Z"
            )
            result = karrio_adapter.to_canonical(carrier, "N1", event)
            self.assertEqual(result["milestone"], "delivery_failed", carrier)
        plain = self._event(
            status=None,
            code="NT",
            description="In Transit to Next Facility",
            timestamp="2026-12-07T10:15:00.000Z",
        )
        self.assertEqual(
            karrio_adapter.to_canonical("usps", "N1", plain)["milestone"], "in_transit"
        )
