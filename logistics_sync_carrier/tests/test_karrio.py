# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Real carriers through karrio, against HTTP fakes of UPS and FedEx on 127.0.0.1,
as an Inventory / User in no Logistics Sync group."""

import base64
import json

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import mute_logger

from ..adapters import karrio_adapter
from ..lib import rate_shopping
from .common_karrio import CLIENT_SECRET, KarrioCommon, karrio_settings
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.tests.common import trap_jobs

QUIET = (
    "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit",
    "odoo.addons.logistics_sync_carrier.models.logistics_endpoint",
    "odoo.addons.logistics_sync_carrier.models.stock_picking",
    "odoo.addons.logistics_sync_carrier.adapters",
    "urllib3.connectionpool",
)


@tagged("post_install", "-at_install")
class TestKarrioCarriers(KarrioCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_karrio()

    def setUp(self):
        super().setUp()
        for fake in self.fakes.values():
            fake.reset()

    def _ship(self, carrier, packages=0, quantity=1):
        """The clerk validates; the booking job runs (as the runner would)."""
        picking = self._shipment_with(carrier, quantity=quantity)
        with trap_jobs() as trap:
            self._clerk_validates(picking, packages=packages)
            self.assertEqual(picking.logistics_booking_state, "queued")
            self.assertEqual(self.fakes[carrier].stats()["bookings"], 0, "validation only queues")
            trap.assert_jobs_count(1, only=picking._logistics_book_job)
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

    # ----------------------------------------------------------------- setup
    def test_admin_picks_carrier_among_installed_extensions(self):
        field = self.env["logistics.endpoint"].fields_get(["karrio_carrier"])["karrio_carrier"]
        names = dict(field["selection"])
        self.assertTrue({"ups", "fedex", "dhl_express"} <= set(names), names)
        with Form(self.env["logistics.endpoint"]) as form:
            form.name = "DHL Express"
            form.code = "dhl-express"
            form.carrier_protocol = "karrio"
            form.karrio_carrier = "dhl_express"
            self.assertIn("site_id*", form.karrio_settings_hint)
            form.karrio_settings_input = json.dumps({"site_id": "S", "password": "P"})
        endpoint = form.save()
        self.assertEqual(endpoint.karrio_settings_state, "Set (password, site_id)")
        self.assertEqual(json.loads(endpoint.karrio_settings), {"site_id": "S", "password": "P"})
        endpoint.karrio_settings = False
        self.assertEqual(endpoint.karrio_settings_state, "Not set")
        # settings the carrier does not take, or missing ones, are refused with their names
        with self.assertRaisesRegex(ValidationError, "unknown: api_key; missing: password"):
            self.endpoint.write(
                {
                    "karrio_carrier": "dhl_express",
                    "karrio_settings": json.dumps({"site_id": "x", "api_key": "y"}),
                }
            )

    def test_connection_settings_are_for_system_administrators(self):
        clerk_endpoint = self.endpoint.with_user(self.clerk)
        with self.assertRaises(AccessError):
            clerk_endpoint.read(["karrio_settings"])
        with self.assertRaises(AccessError):
            self.endpoint.with_user(self.responsible).write({"karrio_carrier": "fedex"})
        self.assertEqual(self.endpoint.copy({"code": "copy-ups"}).sudo().karrio_settings, False)

    def test_connection_settings_are_write_only_on_the_form(self):
        stored = self.endpoint.karrio_settings
        # the admin's form shows whether they are set and their names, never the values
        with Form(self.endpoint) as form:
            self.assertFalse(form.karrio_settings_input)
            self.assertEqual(
                form.karrio_settings_state, "Set (account_number, client_id, client_secret)"
            )
        arch = self.env["logistics.endpoint"].get_view(view_type="form")["arch"]
        self.assertNotIn('name="karrio_settings"', arch)
        self.assertIn('name="karrio_settings_input"', arch)
        self.assertEqual(self.endpoint.karrio_settings, stored, "saving without typing keeps them")
        self.assertFalse(self.endpoint.read(["karrio_settings_input"])[0]["karrio_settings_input"])
        # bad JSON: a clear error, nothing stored
        with self.assertRaisesRegex(ValidationError, "must be a JSON object"):
            with self.env.cr.savepoint():
                self.endpoint.karrio_settings_input = "client_id=abc"
                self.endpoint.flush_recordset()
        self.assertEqual(self.endpoint.karrio_settings, stored)
        # typing replaces them
        replaced = dict(karrio_settings("ups"), account_number="Z9Z9Z9")
        self.endpoint.karrio_settings_input = json.dumps(replaced)
        self.assertEqual(json.loads(self.endpoint.karrio_settings), replaced)
        # not for a clerk or a Logistics Sync manager
        with self.assertRaises(AccessError):
            self.endpoint.with_user(self.clerk).read(["karrio_settings_input"])
        self.assertEqual(
            self.endpoint.with_user(self.clerk).karrio_settings_state,
            "Set (account_number, client_id, client_secret)",
        )

    def test_custom_server_url_is_checked_like_any_outbound_url(self):
        with self.assertRaises(ValidationError):
            self.endpoint.base_url = "http://10.0.0.1:8080"
        self.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "False"
        )
        with self.assertRaisesRegex(karrio_adapter.PermanentCarrierError, "refused"):
            self.endpoint._carrier_client().rate({"recipient": {"country": "FR"}})
        self.assertEqual(self.fakes["ups"].stats()["requests"], 0)

    def test_karrio_never_reaches_the_network_outside_our_transport(self):
        import urllib.request

        import karrio.core.utils.helpers as helpers

        with self.assertRaises(karrio_adapter.PermanentCarrierError):
            helpers._urlopen_with_span(urllib.request.Request(self.fakes["ups"].url + "/health"))  # noqa: S310
        self.assertEqual(self.fakes["ups"].stats()["requests"], 0)

    # --------------------------------------------------------------- booking
    def test_clerk_books_ups_one_label_per_parcel(self):
        picking = self._ship("ups", packages=2, quantity=2)
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertTrue(picking.carrier_tracking_ref.startswith("1Z"))
        self.assertIn(picking.carrier_tracking_ref, picking.logistics_tracking_url)
        labels = self._labels(picking)
        self.assertEqual(len(labels), 2, "one label per parcel")
        self.assertEqual(set(labels.mapped("mimetype")), {"application/pdf"})
        self.assertTrue(all(base64.b64decode(a.datas).startswith(b"%PDF-") for a in labels))
        self.assertIn(picking.logistics_label_id, labels)
        # one note in the chatter: the booking, its labels and the state change
        [note] = picking.message_ids.filtered(lambda m: "Booked with" in (m.body or ""))
        self.assertIn(picking.carrier_tracking_ref, note.body)
        self.assertEqual(note.attachment_ids, labels)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        [change] = note.tracking_value_ids
        self.assertEqual(change.field_id.name, "logistics_booking_state")
        self.assertEqual(
            (change.old_value_char, change.new_value_char), ("Booking queued", "Booked")
        )
        self.assertFalse(
            picking.message_ids.tracking_value_ids.filtered(
                lambda v: v.new_value_char == "Booked" and v.mail_message_id != note
            ),
            "no second message for the same change",
        )
        stats = self.fakes["ups"].stats()
        self.assertEqual(stats["bookings_by_reference"], {picking.name: 1})
        sent = self.fakes["ups"].last_booking()
        # UPS's request id carries our booking key (a correlation id: UPS does not
        # deduplicate on it)
        self.assertEqual(
            sent["_headers"]["transId"], picking.logistics_booking_key.replace("-", "")[:32]
        )
        self.assertEqual(sent["_headers"]["transactionSrc"], "LogisticsSync")
        sent = sent["ShipmentRequest"]["Shipment"]
        self.assertEqual(len(sent["Package"]), 2)
        # a re-run of the job (a crash, a double click) asks the carrier nothing more
        with trap_jobs() as trap:
            picking._logistics_book_job()
            picking.with_user(self.clerk).send_to_shipper()
            trap.assert_jobs_count(0)
        self.assertEqual(self.fakes["ups"].stats()["bookings"], 1)
        self.assertEqual(len(self._labels(picking)), 2)

    def test_international_fedex_sends_customs_from_odoo_and_zpl_as_given(self):
        self.endpoints["fedex"].karrio_label_type = "ZPL"
        picking = self._ship("fedex")
        self.assertEqual(picking.logistics_booking_state, "booked")
        label = picking.logistics_label_id
        self.assertEqual(label.mimetype, "application/zpl")
        self.assertTrue(base64.b64decode(label.datas).startswith(b"^XA"))
        sent = self.fakes["fedex"].last_booking()["requestedShipment"]
        customs = sent["customsClearanceDetail"]
        commodity = customs["commodities"][0]
        self.assertEqual(commodity["harmonizedCode"], "8479.89")
        self.assertEqual(commodity["countryOfManufacture"], "DE")
        self.assertIn("customsValue", commodity)
        self.assertTrue(customs.get("dutiesPayment") or customs.get("commercialInvoice"))

    @mute_logger(*QUIET)
    def test_transient_faults_are_retried_and_book_once(self):
        fake = self.fakes["ups"]
        fake.script_faults({"kind": "503"}, {"kind": "429"}, {"kind": "503"})
        picking = self._ship("ups")
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertEqual(fake.stats()["bookings_by_reference"], {picking.name: 1})
        self.assertGreater(picking.logistics_booking_attempts, 1)

    @mute_logger(*QUIET)
    def test_timeout_after_store_becomes_uncertain_then_tracking_number_entered(self):
        fake = self.fakes["ups"]
        # Odoo's test framework raises every requests timeout to 10 s
        fake.config(timeout_sleep=10.5)
        fake.script_faults({"kind": "timeout", "after": True})
        # the lookup by our reference (UPS finds bookings by it) fails until the
        # attempts are spent: a person decides
        self.endpoints["ups"].max_attempts = 2
        fake.lookup_faults("503")
        picking = self._ship("ups")
        self.assertEqual(picking.logistics_booking_state, "uncertain")
        self.assertIn("HTTP 503", picking.logistics_booking_error)
        self.assertEqual(fake.stats()["lookups"], 1)
        self.assertFalse(picking.logistics_booking_lookup_since)
        self.assertEqual(len(self._activities(picking)), 1)
        self.assertEqual(fake.stats()["bookings"], 1, "the carrier stored it")
        # never sent again by itself: not by the job, not by "Send to shipper"
        with trap_jobs() as trap:
            picking._logistics_book_job()
            picking.with_user(self.clerk).send_to_shipper()
            trap.assert_jobs_count(0)
        self.assertEqual(fake.stats()["bookings"], 1)
        [found] = fake.stats()["numbers_by_reference"][picking.name]
        action = picking.with_user(self.clerk).action_logistics_resolve_uncertain()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.clerk)
            .with_context(action["context"])
            .create({"tracking_ref": found})
        )
        wizard.action_use_tracking()
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertEqual(picking.carrier_tracking_ref, found)
        self.assertFalse(self._activities(picking))
        self.assertEqual(fake.stats()["bookings"], 1)

    @mute_logger(*QUIET)
    def test_uncertain_booking_void_and_book_again(self):
        fake = self.fakes["fedex"]
        fake.script_faults({"kind": "502", "after": True})
        self.endpoints["fedex"].max_attempts = 2
        fake.lookup_faults("500")
        picking = self._ship("fedex")
        self.assertEqual(picking.logistics_booking_state, "uncertain")
        self.assertFalse(self._labels(picking), "no label from a lost answer")
        [lost] = fake.stats()["numbers_by_reference"][picking.name]
        with trap_jobs() as trap:
            action = picking.with_user(self.clerk).action_logistics_resolve_uncertain()
            wizard = (
                self.env[action["res_model"]]
                .with_user(self.clerk)
                .with_context(action["context"])
                .create({"tracking_ref": lost})
            )
            wizard.action_void_and_rebook()
            self._run_jobs(trap)
        stats = fake.stats()
        self.assertEqual(stats["cancelled"], 1, "the lost booking was voided")
        self.assertEqual(stats["bookings"], 2)
        self.assertEqual(picking.logistics_booking_state, "booked")
        [_lost, live] = stats["numbers_by_reference"][picking.name]
        self.assertEqual(picking.carrier_tracking_ref, live)
        self.assertEqual(len(self._labels(picking)), 1, "one label: the live booking's")

    @mute_logger(*QUIET)
    def test_malformed_answers_are_our_errors(self):
        fake = self.fakes["fedex"]
        fake.malformed("garbage")
        picking = self._ship("fedex")
        # a 200 we cannot read: the booking is uncertain, found by our reference
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertEqual(fake.stats()["bookings_by_reference"], {picking.name: 1})
        self.assertIn("found by the reference", " ".join(picking.message_ids.mapped("body")))
        self.assertFalse(self._labels(picking), "no label from an answer we cannot read")
        fake.malformed("html")
        order_result = self.carriers["ups"].rate_shipment(self._order())
        self.assertEqual(order_result["success"], True, order_result)
        self.fakes["ups"].malformed("html")
        order_result = self.carriers["ups"].rate_shipment(self._order())
        self.assertFalse(order_result["success"])
        self.assertIn("HTTP 502", order_result["error_message"])
        self.assertNotIn("<html", order_result["error_message"])

    # ------------------------------------------------------------- bad input
    def _refused(self, carrier, expected, picking=None):
        picking = picking or self._ship(carrier)
        self.assertEqual(picking.logistics_booking_state, "failed")
        self.assertIn(expected, picking.logistics_booking_error)
        self.assertNotIn("{", picking.logistics_booking_error, "words, not a payload")
        self.assertEqual(len(self._activities(picking)), 1)
        self.assertEqual(self.fakes[carrier].stats()["bookings"], 0, "nothing booked")
        self.assertFalse(self._labels(picking))
        return picking

    def _retry_after_fix(self, picking, carrier):
        with trap_jobs() as trap:
            picking.with_user(self.clerk).send_to_shipper()
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked")
        self.assertEqual(self.fakes[carrier].stats()["bookings_by_reference"], {picking.name: 1})

    @mute_logger(*QUIET)
    def test_refused_address_then_retried_after_fix(self):
        self.customer.zip = "00000"
        picking = self._refused("ups", "Missing or invalid ship to")
        self.customer.zip = "69001"
        self._retry_after_fix(picking, "ups")

    @mute_logger(*QUIET)
    def test_parcel_over_limits_then_retried_after_fix(self):
        self.product.weight = 80.0
        picking = self._refused("fedex", "weight exceeds the maximum")
        self.product.weight = 2.0
        self._retry_after_fix(picking, "fedex")

    @mute_logger(*QUIET)
    def test_service_not_on_the_lane_then_retried_after_fix(self):
        self.endpoint.carrier_service = "ups_ground"
        picking = self._refused("ups", "unavailable between the selected locations")
        self.endpoint.carrier_service = "ups_standard"
        self._retry_after_fix(picking, "ups")

    @mute_logger(*QUIET)
    def test_expired_credential_then_retried_after_fix(self):
        endpoint = self.endpoints["fedex"]
        endpoint.karrio_settings = json.dumps(karrio_settings("fedex", "expired-secret-9"))
        picking = self._refused("fedex", "refused the credentials")
        self.assertNotIn("expired-secret-9", picking.logistics_booking_error)
        endpoint.karrio_settings = json.dumps(karrio_settings("fedex", CLIENT_SECRET))
        self._retry_after_fix(picking, "fedex")

    # ----------------------------------------------------- tracking, cancel, rate
    def test_polling_maps_karrio_statuses_to_milestones(self):
        picking = self._ship("ups")
        accepted = self.endpoint._poll_tracking()
        self.assertGreaterEqual(accepted, 1)
        self._process_pending()
        self.assertEqual(picking.logistics_milestone, "picked_up")
        events = self.env["logistics.event"].search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual(set(events.mapped("milestone")), {"picked_up"})
        self.assertEqual(self.endpoint._poll_tracking(), 0, "the same events are not taken twice")

    def test_mapping_table_covers_every_karrio_status(self):
        from karrio.core.units import TrackingStatus

        for status in TrackingStatus:
            self.assertIn(status.name, karrio_adapter.KARRIO_MILESTONES, status.name)
        self.assertEqual(karrio_adapter.milestone_of("delivery_failed"), "delivery_failed")
        self.assertIsNone(karrio_adapter.milestone_of("made_up"))

    def test_cancel_voids_at_the_carrier(self):
        picking = self._ship("ups")
        picking.with_user(self.clerk).cancel_shipment()
        self.assertEqual(picking.logistics_booking_state, "cancelled")
        self.assertEqual(self.fakes["ups"].stats()["cancelled"], 1)

    # ----------------------------------------------------------- return labels
    def _return_labels(self, picking):
        prefix = picking.carrier_id.get_return_label_prefix()
        return self._labels(picking).filtered(lambda a: a.name.startswith(prefix))

    def test_return_label_on_a_done_delivery_one_per_parcel_never_twice(self):
        picking = self._ship("ups", packages=2, quantity=2)
        self.assertTrue(picking.carrier_id.can_generate_return)
        picking.with_user(self.clerk).action_logistics_return_label()
        stats = self.fakes["ups"].stats()
        self.assertEqual(stats["returns_by_reference"], {picking.name: 1})
        self.assertEqual(stats["return_labels"], 2)
        self.assertEqual(stats["bookings_by_reference"], {picking.name: 1}, "no new delivery")
        sent = self.fakes["ups"].last_booking()["ShipmentRequest"]["Shipment"]
        self.assertEqual(sent["ReturnService"]["Code"], "9", "print return label")
        # karrio swaps the addresses: the customer ships to us
        self.assertEqual(sent["ShipFrom"]["Address"]["City"], "Lyon")
        self.assertEqual(sent["ShipTo"]["Address"]["City"], "Berlin")
        labels = self._return_labels(picking)
        self.assertEqual(len(labels), 2, "one return label per parcel")
        self.assertEqual(picking.logistics_return_state, "done")
        self.assertTrue(picking.logistics_return_ref.startswith("1Z"))
        with self.assertRaisesRegex(UserError, "not made twice"):
            picking.with_user(self.clerk).action_logistics_return_label()
        self.assertEqual(self.fakes["ups"].stats()["return_labels"], 2)
        self.assertEqual(len(self._return_labels(picking)), 2)

    def test_return_label_on_the_return_transfer(self):
        picking = self._ship("fedex")
        wizard = (
            self.env["stock.return.picking"]
            .with_user(self.clerk)
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        # Odoo leaves the carrier of a return empty: the clerk chooses it
        returned.with_user(self.clerk).carrier_id = picking.carrier_id
        self.assertTrue(returned.is_return_picking)
        returned.with_user(self.clerk).print_return_label()
        stats = self.fakes["fedex"].stats()
        self.assertEqual(stats["returns_by_reference"], {picking.name: 1})
        sent = self.fakes["fedex"].last_booking()
        self.assertEqual(
            sent["_headers"]["x-customer-transaction-id"], f"{picking.logistics_booking_key}-return"
        )
        sent = sent["requestedShipment"]
        self.assertIn("RETURN_SHIPMENT", sent["shipmentSpecialServices"]["specialServiceTypes"])
        self.assertEqual(len(self._return_labels(returned)), 1)
        # the delivery it returns has its return label: not made again from either
        with self.assertRaisesRegex(UserError, "not made twice"):
            picking.with_user(self.clerk).action_logistics_return_label()
        with self.assertRaisesRegex(UserError, "not made twice"):
            returned.with_user(self.clerk).print_return_label()
        self.assertEqual(self.fakes["fedex"].stats()["return_labels"], 1)

    @mute_logger(*QUIET)
    def test_return_label_lost_after_the_carrier_made_it_is_never_asked_again(self):
        picking = self._ship("ups")
        fake = self.fakes["ups"]
        fake.config(timeout_sleep=10.5)
        fake.script_faults({"kind": "timeout", "after": True})
        try:
            picking.with_user(self.clerk).action_logistics_return_label()
        except UserError as exc:
            error = str(exc)
        else:
            self.fail("a lost answer is an error for the clerk")
        self.assertIn("look it up at the carrier", error)
        self.assertEqual(fake.stats()["returns_by_reference"], {picking.name: 1})
        # recorded outside the clerk's rolled-back transaction: uncertain, with an activity
        self.assertEqual(picking.logistics_return_state, "uncertain")
        self.assertEqual(len(self._activities(picking)), 1)
        with self.assertRaisesRegex(UserError, "instead of asking again"):
            picking.with_user(self.clerk).action_logistics_return_label()
        self.assertEqual(fake.stats()["returns_by_reference"], {picking.name: 1})
        self.assertFalse(self._return_labels(picking))

    def test_return_label_refused_for_a_delivery_not_shipped(self):
        picking = self._shipment_with("ups")
        with self.assertRaisesRegex(UserError, "shipped with the carrier"):
            picking.with_user(self.clerk).action_logistics_return_label()
        self.assertEqual(self.fakes["ups"].stats()["requests"], 0)

    def _order(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                ],
            }
        )
        return order

    def test_rate_on_the_sale_order(self):
        result = self.carriers["fedex"].rate_shipment(self._order())
        self.assertTrue(result["success"], result)
        self.assertEqual(result["price"], 31.2, "the endpoint's service, not a 0")


@tagged("post_install", "-at_install")
class TestRateShopping(KarrioCommon, TransactionCase):
    """Rates on the sale order as a Sales / User in no Logistics Sync group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_karrio()
        cls.seller = plain_user(cls, "ls_karrio_seller", "sales_team.group_sale_salesman")
        cls.rule = cls.env["logistics.rate.rule"].create(
            {
                "name": "France",
                "country_ids": [Command.link(cls.env.ref("base.fr").id)],
                "carrier_ids": [Command.set([c.id for c in cls.carriers.values()])],
            }
        )

    def setUp(self):
        super().setUp()
        for fake in self.fakes.values():
            fake.reset()

    def _shop(self):
        order = (
            self.env["sale.order"]
            .with_user(self.seller)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        order.action_logistics_shop_rates()
        return order

    def test_cheapest_then_preferred_by_destination(self):
        order = self._shop()
        self.assertEqual(order.carrier_id, self.carriers["ups"], "14.50 beats 31.20")
        delivery = order.order_line.filtered("is_delivery")
        self.assertEqual(delivery.price_unit, 14.5)
        self.rule.write(
            {"strategy": "preferred", "preferred_carrier_id": self.carriers["fedex"].id}
        )
        self.assertEqual(self._shop().carrier_id, self.carriers["fedex"])

    @mute_logger(*QUIET)
    def test_a_carrier_error_is_never_cheapest(self):
        self.fakes["ups"].malformed("html")
        order = self._shop()
        self.assertEqual(order.carrier_id, self.carriers["fedex"])
        self.assertIn("HTTP 502", order.message_ids[:1].body)

    def test_no_usable_quote_changes_nothing(self):
        self.customer.zip = "00000"  # both carriers refuse the address
        with self.assertRaisesRegex(UserError, "No carrier gave a usable quote"):
            self._shop()
        self.customer.zip = "69001"


@tagged("post_install", "-at_install")
class TestChoose(TransactionCase):
    def test_zero_and_errors_never_chosen(self):
        quotes = [
            {"carrier": "a", "success": True, "price": 0.0, "transit_days": 1},
            {"carrier": "b", "success": False, "price": 1.0, "transit_days": 1},
            {"carrier": "c", "success": True, "price": 9.0, "transit_days": 5},
            {"carrier": "d", "success": True, "price": 12.0, "transit_days": 2},
        ]
        self.assertEqual(rate_shopping.choose(quotes)["carrier"], "c")
        self.assertEqual(rate_shopping.choose(quotes, "fastest")["carrier"], "d")
        self.assertEqual(rate_shopping.choose(quotes, "preferred", "d")["carrier"], "d")
        self.assertEqual(rate_shopping.choose(quotes, "preferred", "a")["carrier"], "c")
        self.assertIsNone(rate_shopping.choose(quotes[:2]))
