# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS simulator as a real HTTP server on 127.0.0.1, and a TMS endpoint on it.

The simulator's webhooks are off (it answers on ``/_sim/advance`` only): a test
takes the signed answer the TMS would send and ingests it, so every step is
its choice and nothing depends on timing."""

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import requests

from odoo import Command, fields

from odoo.addons.logistics_sync_base.simulator import launcher
from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon
from odoo.addons.queue_job.exception import RetryableJobError

SIMULATOR = Path(__file__).resolve().parent.parent / "simulator" / "tms_simulator.py"
TOKEN = "test-tms-token"


class TmsSimulator:
    """Start ``tms_simulator.py`` and stop it, by its PID, at the end."""

    def __init__(self, webhook_secret, *args):
        self.tmp = tempfile.mkdtemp(prefix="lsync-tms-")
        self.process, self.url = launcher.spawn(
            SIMULATOR,
            [
                "--token",
                TOKEN,
                "--webhook-secret",
                webhook_secret,
                "--max-lifetime",
                "900",
                "--webhook-interval",
                "3600",
                "--timeout-sleep",
                "3",
                "--seed",
                "7",
                *args,
            ],
            log_path=os.path.join(self.tmp, "tms-simulator.log"),
        )

    def config(self, **values):
        response = requests.post(f"{self.url}/_sim/config", json=values, timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self):
        requests.post(f"{self.url}/_sim/reset", timeout=5).raise_for_status()

    def script_faults(self, *faults):
        response = requests.post(f"{self.url}/_sim/faults", json={"next": list(faults)}, timeout=5)
        response.raise_for_status()

    def stats(self):
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()

    def advance(self, shipment_id):
        response = requests.post(f"{self.url}/_sim/advance/{shipment_id}", timeout=10)
        response.raise_for_status()
        return response.json()["event"]

    def shipment_of(self, release_id):
        response = requests.get(
            f"{self.url}/tms/v1/shipments",
            params={"release_id": release_id},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()

    def stop(self):
        launcher.stop(self.process)


class TmsCommon(LogisticsCommon):
    @classmethod
    def _setup_tms(cls, trigger="ready"):
        cls._setup_logistics()
        cls.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        cls.tms = cls.env["logistics.endpoint"].create(
            {
                "name": "Test TMS",
                "code": "test-tms",
                "kind": "tms",
                "responsible_user_id": cls.responsible.id,
                "auth_type": "bearer",
                "auth_token": TOKEN,
                "http_timeout": 2.0,
                "retry_base_seconds": 1,
                "max_attempts": 10,
                "circuit_threshold": 100,
                "circuit_cooldown": 1,
                "tms_trigger": trigger,
                "tms_carrier_codes": "sim",
            }
        )
        cls.sim = TmsSimulator(cls.tms.sudo().signing_secret)
        cls.addClassCleanup(cls.sim.stop)
        cls.tms.base_url = cls.sim.url
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        # the demo data's rules (if any) route elsewhere: only ours counts here
        cls.env["logistics.tms.route"].search([]).active = False
        cls.env["logistics.tms.route"].create(
            {"endpoint_id": cls.tms.id, "warehouse_id": cls.warehouse.id}
        )
        cls.customer.write(
            {
                "street": "1 rue de la Paix",
                "city": "Lyon",
                "zip": "69001",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.company.partner_id.write(
            {
                "street": "5 Industrial Road",
                "city": "Mâcon",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.product.weight = 12.5

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def _tms_picking(self, qty=1, product=None, deadline_days=5):
        product = product or self.product
        customers = self.env.ref("stock.stock_location_customers")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "location_id": self.warehouse.lot_stock_id.id,
                "location_dest_id": customers.id,
                "scheduled_date": fields.Datetime.now() + timedelta(days=1),
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "date_deadline": fields.Datetime.now() + timedelta(days=deadline_days),
                            "location_id": self.warehouse.lot_stock_id.id,
                            "location_dest_id": customers.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _answer(self, release, steps=1):
        """The TMS's next ``steps`` answers for ``release``, ingested and processed."""
        events = [self.sim.advance(release.tms_ref) for _step in range(steps)]
        self._ingest(*events, endpoint=self.tms)
        self._process_pending(self.tms)
        return events

    def _writes(self):
        return self.sim.stats()["writes"]

    def _run_jobs(self, trap, rounds=60):
        """Perform queued jobs (and those they queue, and their retries) until none is left,
        as the job runner would."""
        jobs = []
        for _round in range(rounds):
            jobs = jobs + trap.enqueued_jobs
            trap.enqueued_jobs = []
            if not jobs:
                return
            postponed = []
            for job in jobs:
                self.assertEqual(job.channel, self.tms.channel_name, job)
                self.assertTrue(job.eta is None or isinstance(job.eta, datetime), job.eta)
                try:
                    job.perform()
                except RetryableJobError as exc:
                    self.assertGreaterEqual(exc.seconds, 1)
                    postponed.append(job)
            jobs = postponed
        self.fail("jobs kept queuing more jobs")
