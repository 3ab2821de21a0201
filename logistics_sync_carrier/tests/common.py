# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier simulator as a real HTTP server on 127.0.0.1 for the tests."""

import os
import tempfile
from datetime import datetime
from pathlib import Path

import requests

from odoo.addons.logistics_sync_base.simulator import launcher
from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon
from odoo.addons.queue_job.exception import RetryableJobError

SIMULATOR = Path(__file__).resolve().parent.parent / "simulator" / "carrier_simulator.py"
API_KEY = "test-sim-key"
USERNAME = "odoo"
PASSWORD = "test-sim-password"


class Simulator:
    """Start ``carrier_simulator.py`` and stop it, by its PID, at the end."""

    def __init__(self, webhook_secret, *args):
        self.tmp = tempfile.mkdtemp(prefix="lsync-sim-")
        self.process, self.url = launcher.spawn(
            SIMULATOR,
            [
                "--api-key",
                API_KEY,
                "--username",
                USERNAME,
                "--password",
                PASSWORD,
                "--webhook-secret",
                webhook_secret,
                "--max-lifetime",
                "900",
                "--webhook-interval",
                "3600",  # the lifecycle moves on /_sim/advance only
                *args,
            ],
            log_path=os.path.join(self.tmp, "simulator.log"),
        )
        self.port = int(self.url.rsplit(":", 1)[1])

    def config(self, **values):
        response = requests.post(f"{self.url}/_sim/config", json=values, timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self):
        requests.post(f"{self.url}/_sim/reset", timeout=5).raise_for_status()

    def script_faults(self, *faults):
        """The next faultable requests fail so: ``{"kind": "timeout", "after": True}``."""
        response = requests.post(f"{self.url}/_sim/faults", json={"next": list(faults)}, timeout=5)
        response.raise_for_status()

    def stats(self):
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()

    def advance(self, shipment_id):
        response = requests.post(f"{self.url}/_sim/advance/{shipment_id}", timeout=10)
        response.raise_for_status()
        return response.json()

    def stop(self):
        launcher.stop(self.process)


class CarrierCommon(LogisticsCommon):
    @classmethod
    def _setup_carrier(cls, protocol="rest", sim_args=()):
        cls._setup_logistics()
        if not cls.registry.test_cr:
            # The circuit breaker and the booking record write in transactions of
            # their own (registry.cursor()); in test mode those share the test's.
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        cls.sim = Simulator(cls.secret, *sim_args)
        cls.addClassCleanup(cls.sim.stop)
        cls.endpoint.write(
            {
                "base_url": cls.sim.url,
                "carrier_protocol": protocol,
                "auth_type": "api_key" if protocol == "rest" else "basic",
                "api_key_header": "X-API-Key",
                "auth_api_key": API_KEY,
                "auth_username": USERNAME,
                "auth_password": PASSWORD,
                "http_timeout": 2.0,
                "retry_base_seconds": 1,
                "circuit_threshold": 100,
                "circuit_cooldown": 1,
                "tracking_mode": "poll",  # no webhooks unless a test asks for them
            }
        )
        cls.endpoint.flush_recordset()
        service = cls.env["product.product"].create({"name": "Shipping", "type": "service"})
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Simulated carrier",
                "product_id": service.id,
                "delivery_type": "logistics_sync",
                "integration_level": "rate_and_ship",
                "logistics_endpoint_id": cls.endpoint.id,
            }
        )
        cls.customer.write({"street": "1 Rue de la Paix", "city": "Lyon", "zip": "69001"})

    def _shipment(self):
        picking = self._make_picking()
        picking.carrier_id = self.carrier
        return picking

    def _perform_round(self, trap, jobs=()):
        """Perform ``jobs`` and those queued meanwhile once each, as the job runner
        would; returns the jobs queue_job would postpone (``RetryableJobError``)."""
        jobs = list(jobs) + trap.enqueued_jobs
        trap.enqueued_jobs = []
        postponed = []
        for job in jobs:
            # every job of an endpoint on its channel, with what queue_job can store
            self.assertEqual(job.channel, self.endpoint.channel_name, job)
            self.assertTrue(job.eta is None or isinstance(job.eta, datetime), job.eta)
            try:
                job.perform()
            except RetryableJobError as exc:
                self.assertGreaterEqual(exc.seconds, 1, "a delay queue_job honours")
                postponed.append(job)
        return postponed

    def _run_jobs(self, trap, jobs=(), rounds=80):
        """Run queued jobs (those they queue, and their retries) until none is left."""
        for _round in range(rounds):
            jobs = self._perform_round(trap, jobs)
            if not jobs and not trap.enqueued_jobs:
                return
        self.fail("jobs kept queuing more jobs")
