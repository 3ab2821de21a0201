# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A booking whose answer was lost, looked up at the carrier by our reference
(UPS "track by reference number", FedEx "track by references") instead of being
sent again, against the fakes on 127.0.0.1, validated by an Inventory / User in
no Logistics Sync group."""

import json

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common_karrio import KarrioCommon, karrio_settings
from .test_karrio import QUIET, TestKarrioCarriers
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestKarrioLookup(KarrioCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_karrio()
        for endpoint in cls.endpoints.values():
            endpoint.karrio_lookup_delay = 0

    def setUp(self):
        super().setUp()
        for fake in self.fakes.values():
            fake.reset()

    _ship = TestKarrioCarriers._ship
    _labels = TestKarrioCarriers._labels
    _activities = TestKarrioCarriers._activities

    @mute_logger(*QUIET)
    def test_lost_ups_booking_is_found_by_reference_not_booked_twice(self):
        fake = self.fakes["ups"]
        fake.script_faults({"kind": "reset", "after": True})  # stored, then the answer lost
        picking = self._ship("ups", packages=2, quantity=2)
        stats = fake.stats()
        self.assertEqual(stats["bookings_by_reference"], {picking.name: 1}, "booked once")
        self.assertEqual(stats["lookups"], 1)
        [number] = stats["numbers_by_reference"][picking.name]
        self.assertEqual(picking.logistics_booking_state, "booked")
        # the lead package's tracking number of the shipment UPS holds
        self.assertTrue(picking.carrier_tracking_ref.startswith(number))
        self.assertEqual(picking.logistics_carrier_shipment_id, picking.carrier_tracking_ref)
        self.assertFalse(picking.logistics_booking_lookup_since)
        # its labels asked again from UPS (label recovery): one per parcel, never two
        labels = self._labels(picking)
        self.assertEqual(len(labels), 2)
        self.assertEqual(set(labels.mapped("mimetype")), {"application/pdf"})
        self.assertIn(picking.logistics_label_id, labels)
        self.assertEqual(stats["recovered_labels"], 2)
        self.assertFalse(self._activities(picking))
        self.assertIn("asked again from the carrier", " ".join(picking.message_ids.mapped("body")))
        # karrio sent our reference where UPS searches it (the shipment's ReferenceNumber
        # abroad; a package's within the US)
        sent = fake.last_booking()["ShipmentRequest"]["Shipment"]
        self.assertEqual(sent["ReferenceNumber"]["Value"], picking.name)
        # a re-run asks the carrier nothing more
        with trap_jobs() as trap:
            picking._logistics_book_job()
            trap.assert_jobs_count(0)
        stats = fake.stats()
        self.assertEqual(
            (stats["bookings"], stats["lookups"], stats["recovered_labels"]), (1, 1, 2)
        )
        self.assertEqual(len(self._labels(picking)), 2)

    @mute_logger(*QUIET)
    def test_lost_fedex_booking_not_stored_is_booked_once_after_the_delay(self):
        fake = self.fakes["fedex"]
        endpoint = self.endpoints["fedex"]
        endpoint.karrio_lookup_delay = 300
        fake.script_faults({"kind": "reset"})  # the connection dropped: nothing stored
        picking = self._shipment_with("fedex")
        with trap_jobs() as trap:
            self._clerk_validates(picking)
            # the answer is lost: a lookup later, nothing sent again
            postponed = self._perform_round(trap)
            self.assertEqual(picking.logistics_booking_state, "waiting_carrier")
            self.assertTrue(picking.logistics_booking_lookup_since)
            self.assertIn("looked up at the carrier", picking.logistics_booking_error)
            # not found before the carrier's indexing delay: looked up again later
            postponed = self._perform_round(trap, postponed)
            self.assertEqual(len(postponed), 1)
            self.assertEqual(fake.stats()["bookings"], 0)
            self.assertEqual(fake.stats()["lookups"], 1)
            self.assertEqual(picking.logistics_booking_state, "waiting_carrier")
            # not found after it: booked again, with the same key
            key = picking.logistics_booking_key
            endpoint.karrio_lookup_delay = 0
            self._run_jobs(trap, postponed)
        stats = fake.stats()
        self.assertEqual(stats["bookings_by_reference"], {picking.name: 1})
        self.assertEqual(stats["lookups"], 2)
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertEqual(picking.logistics_booking_key, key)
        self.assertEqual(len(self._labels(picking)), 1, "one label per parcel")
        self.assertFalse(self._activities(picking))
        self.assertIn("booked again", " ".join(picking.message_ids.mapped("body")))
        # karrio sent our reference where FedEx searches it
        sent = fake.last_booking()["requestedShipment"]["requestedPackageLineItems"][0]
        self.assertIn(
            {"customerReferenceType": "CUSTOMER_REFERENCE", "value": picking.name},
            sent["customerReferences"],
        )

    @mute_logger(*QUIET)
    def test_a_failing_lookup_is_retried_and_never_books(self):
        fake = self.fakes["fedex"]
        fake.script_faults({"kind": "502", "after": True})
        fake.lookup_faults("500", "429")
        picking = self._ship("fedex")
        stats = fake.stats()
        self.assertEqual(stats["lookups"], 3, "failed twice, then found")
        self.assertEqual(stats["bookings_by_reference"], {picking.name: 1})
        self.assertEqual(picking.logistics_booking_state, "booked")
        [number] = stats["numbers_by_reference"][picking.name]
        self.assertEqual(picking.carrier_tracking_ref, number)
        self.assertEqual(picking.logistics_booking_attempts, 4)
        # FedEx gives no label again: printed at FedEx (activity), none made here
        self.assertFalse(self._labels(picking))
        [activity] = self._activities(picking)
        self.assertIn("print it from the carrier's site", activity.note)
        self.assertIn(number, activity.note)

    @mute_logger(*QUIET)
    def test_a_refused_lookup_leaves_it_to_a_person(self):
        fake = self.fakes["fedex"]
        settings = karrio_settings("fedex")
        del settings["track_api_key"], settings["track_secret_key"]  # no tracking rights
        self.endpoints["fedex"].karrio_settings = json.dumps(settings)
        fake.script_faults({"kind": "reset", "after": True})
        picking = self._ship("fedex")
        self.assertEqual(picking.logistics_booking_state, "uncertain")
        self.assertIn("track_api_key", picking.logistics_booking_error)
        self.assertFalse(picking.logistics_booking_lookup_since)
        self.assertEqual(fake.stats()["bookings"], 1, "never sent again")
        self.assertEqual(fake.stats()["lookups"], 0)
        self.assertEqual(len(self._activities(picking)), 1)
