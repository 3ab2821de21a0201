# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tracking from the simulator: its own webhook format mapped in the UI, and polling."""

import time

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import CarrierCommon
from odoo.addons.logistics_sync_base.tests.common import map_native_format
from odoo.addons.queue_job.tests.common import trap_jobs


def _map_simulator_format(endpoint):
    map_native_format(
        endpoint,
        {"PU": "picked_up", "IT": "in_transit", "OD": "out_for_delivery", "DL": "delivered"},
    )


@tagged("post_install", "-at_install")
class TestSimulatorWebhooks(CarrierCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("rest")
        _map_simulator_format(cls.endpoint)

    def test_simulator_webhooks_take_the_transfer_to_delivered(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.endpoint.tracking_mode = "webhook"
        picking = self._shipment()
        with trap_jobs() as trap:
            self._validate(picking)
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "booked")
        shipment_id = picking.logistics_carrier_shipment_id
        for _step in range(4):  # PU, IT, OD, DL pushed to Odoo in the simulator's format
            self.sim.advance(shipment_id)
        deadline = time.monotonic() + 30
        while self.sim.stats()["webhooks_sent"] < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.sim.stats()["webhooks_sent"], 4, self.sim.stats())
        events = self.env["logistics.event"].search([("endpoint_id", "=", self.endpoint.id)])
        self.assertEqual(
            sorted(events.mapped("source_status")), ["DL", "IT", "OD", "PU"], "stored once each"
        )
        self.assertTrue(all(event.payload.startswith('{"id"') for event in events))
        self._process_pending()
        self.assertEqual(picking.logistics_milestone, "delivered")
        self.assertEqual(set(events.mapped("state")), {"applied"})


@tagged("post_install", "-at_install")
class TestPollingAndSafety(CarrierCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("rest")
        _map_simulator_format(cls.endpoint)
        # the demo's polling carriers (UPS via karrio) are not this test's
        cls.env["logistics.endpoint"].search(
            [("id", "!=", cls.endpoint.id), ("tracking_mode", "=", "poll")]
        ).active = False

    def test_polling_cron_fetches_events_in_batches(self):
        self.endpoint.write({"poll_batch_size": 2, "poll_max_requests": 5})
        pickings = self._shipment() | self._shipment() | self._shipment()
        with trap_jobs() as trap:
            for picking in pickings:
                self._validate(picking)
            self._run_jobs(trap)
        self.assertEqual(set(pickings.mapped("logistics_booking_state")), {"booked"})
        for picking in pickings:
            self.sim.advance(picking.logistics_carrier_shipment_id)
            self.sim.advance(picking.logistics_carrier_shipment_id)
        before = self.sim.stats()["requests"]
        for expected in ("6 events accepted", "0 events accepted"):  # no duplicates
            with trap_jobs() as trap:
                endpoints = self.env["logistics.endpoint"]._cron_poll_tracking()
                self.assertEqual(endpoints, self.endpoint)
                [job] = trap.enqueued_jobs  # the cron fans out, one job per endpoint
                self.assertEqual(job.channel, self.endpoint.channel_name)
                self.assertEqual(job.method_name, "_job_poll_tracking")
                self.assertEqual(job.perform(), expected)
            if expected.startswith("6"):
                self.assertEqual(
                    self.sim.stats()["requests"] - before, 2, "3 numbers in batches of 2"
                )
        self._process_pending()
        self.assertEqual(set(pickings.mapped("logistics_milestone")), {"in_transit"})

    def test_unsafe_urls_are_refused_on_save(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("logistics_sync.allow_http_loopback", "False")
        for url in (
            "http://127.0.0.1:8071",
            "https://10.1.2.3/api",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://user:pass@93.184.216.34/",
            "ftp://93.184.216.34/",
        ):
            with self.assertRaises(ValidationError, msg=url) as caught:
                self.endpoint.base_url = url
                self.endpoint.flush_recordset()
            self.assertIn("refused", str(caught.exception))
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.base_url, self.sim.url, "nothing was saved")
        self.endpoint.base_url = "https://93.184.216.34/api"
        params.set_param("logistics_sync.allow_http_loopback", "True")
        self.endpoint.base_url = self.sim.url
