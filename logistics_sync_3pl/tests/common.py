# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator as a real HTTP server on 127.0.0.1, a warehouse operated by it,
and an Inventory / User in no Logistics Sync group who does the stock work.

The simulator's webhooks are off: a test takes the signed confirmation the
3PL would send (``/_sim/pick``) or writes its own, and ingests it through
base's pipeline, so every step is the test's choice."""

import os
import tempfile
from pathlib import Path

import requests

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.logistics_sync_base.simulator import launcher
from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

SIMULATOR = Path(__file__).resolve().parent.parent / "simulator" / "tpl_simulator.py"
TOKEN = "test-3pl-token"
JOB_MODELS = ("logistics.tpl.release", "logistics.tpl.asn")


class TplSimulator:
    """Start ``tpl_simulator.py`` and stop it, by its PID, at the end."""

    def __init__(self, webhook_secret, *args):
        self.tmp = tempfile.mkdtemp(prefix="lsync-3pl-")
        self.process, self.url = launcher.spawn(
            SIMULATOR,
            [
                "--token",
                TOKEN,
                "--webhook-secret",
                webhook_secret,
                "--max-lifetime",
                "900",
                "--timeout-sleep",
                "3",
                "--seed",
                "7",
                *args,
            ],
            log_path=os.path.join(self.tmp, "3pl-simulator.log"),
        )

    def post(self, path, body=None):
        response = requests.post(f"{self.url}{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def config(self, **values):
        return self.post("/_sim/config", values)

    def reset(self):
        self.post("/_sim/reset")

    def stats(self):
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()

    def pick(self, document_id):
        return self.post(f"/_sim/pick/{requests.utils.quote(document_id, safe='')}")["event"]

    def document(self, document_id):
        response = requests.get(
            f"{self.url}/3pl/v1/documents/{requests.utils.quote(document_id, safe='')}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        return response.json()

    def stop(self):
        launcher.stop(self.process)


class TplCommon(LogisticsCommon):
    @classmethod
    def _setup_tpl(cls):
        cls._setup_logistics()
        cls.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        cls.tpl = cls.env["logistics.endpoint"].create(
            {
                "name": "Test 3PL",
                "code": "test-3pl",
                "kind": "wms",
                "responsible_user_id": cls.responsible.id,
                "auth_type": "bearer",
                "auth_token": TOKEN,
                "http_timeout": 2.0,
                "retry_base_seconds": 1,
                "max_attempts": 10,
                "circuit_threshold": 100,
                "circuit_cooldown": 1,
            }
        )
        # a customer's system receiving advance ship notices (played by the simulator too)
        cls.edi = cls.env["logistics.endpoint"].create(
            {
                "name": "Customer EDI",
                "code": "test-customer-edi",
                "kind": "edi",
                "responsible_user_id": cls.responsible.id,
                "auth_type": "bearer",
                "auth_token": TOKEN,
                "http_timeout": 2.0,
            }
        )
        cls.sim = TplSimulator(cls.tpl.sudo().signing_secret)
        cls.addClassCleanup(cls.sim.stop)
        cls.tpl.base_url = cls.sim.url
        cls.edi.base_url = cls.sim.url
        cls.warehouse = cls.env["stock.warehouse"].create(
            {"name": "3PL Lyon", "code": "W3PL", "tpl_endpoint_id": cls.tpl.id}
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")
        cls.product.default_code = "WIDGET"
        cls.product.standard_price = 10.0
        cls.lot_product = cls.env["product.product"].create(
            {
                "name": "Batch paint",
                "default_code": "PAINT",
                "is_storable": True,
                "tracking": "lot",
                "standard_price": 4.0,
            }
        )
        cls.serial_product = cls.env["product.product"].create(
            {"name": "Drill", "default_code": "DRILL", "is_storable": True, "tracking": "serial"}
        )
        cls.customer.write({"street": "1 rue de la Paix", "city": "Lyon", "zip": "69001"})
        cls.supplier = cls.env["res.partner"].create({"name": "Supplier SA"})
        # the user doing the stock work: Inventory / User, no Logistics Sync group
        cls.stock_user = new_test_user(
            cls.env, login="tpl_stock_user", groups="stock.group_stock_user"
        )
        cls.stock_manager = new_test_user(
            cls.env, login="tpl_stock_manager", groups="stock.group_stock_manager"
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def _picking(self, lines, incoming=False, user=None):
        """A confirmed delivery (receipt) of the 3PL warehouse, made by the stock user;
        ``lines``: (product, quantity) pairs."""
        env = self.env(user=user or self.stock_user)
        kind = self.warehouse.in_type_id if incoming else self.warehouse.out_type_id
        source, dest = (self.suppliers, self.stock) if incoming else (self.stock, self.customers)
        picking = env["stock.picking"].create(
            {
                "picking_type_id": kind.id,
                "partner_id": (self.supplier if incoming else self.customer).id,
                "location_id": source.id,
                "location_dest_id": dest.id,
                "scheduled_date": fields.Datetime.now(),
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": source.id,
                            "location_dest_id": dest.id,
                        }
                    )
                    for product, qty in lines
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _released(self, lines, incoming=False):
        """A transfer confirmed by the stock user and sent to the 3PL (its job run)."""
        with trap_jobs() as trap:
            picking = self._picking(lines, incoming)
            self._run_jobs(trap)
        release = picking.sudo().tpl_release_id
        self.assertEqual(release.state, "sent", release.block_reason or release.last_error)
        return picking, release

    def _run_jobs(self, trap, rounds=30):
        """Perform the queued 3PL jobs (and those they queue) as the runner would."""
        for _round in range(rounds):
            jobs = [job for job in trap.enqueued_jobs if job.model_name in JOB_MODELS]
            trap.enqueued_jobs = []
            if not jobs:
                return
            for job in jobs:
                self.assertIn(job.channel, (self.tpl.channel_name, self.edi.channel_name))
                try:
                    job.perform()
                except RetryableJobError as exc:
                    self.fail(f"{job} asked for a retry: {exc}")
        self.fail("jobs kept queuing more jobs")

    def _confirm(self, event):
        """Ingest a confirmation (as the webhook does) and process it; returns the event."""
        stored = self._ingest(event, endpoint=self.tpl)
        self._process_pending(self.tpl)
        stored.invalidate_recordset()
        return stored

    def _shipping(self, picking, lines, event_id, packages=None, **extra):
        body = {
            "event_id": event_id,
            "shipment_ref": picking.name,
            "occurred_at": "2026-12-01T10:00:00Z",
            "type": "tpl_shipping_confirmation",
            "shipped_at": "2026-12-01T09:30:00Z",
            "lines": lines,
        }
        if packages is not None:
            body["packages"] = packages
        body.update(extra)
        return body

    def _receipt(self, picking, lines, event_id, **extra):
        body = {
            "event_id": event_id,
            "shipment_ref": picking.name,
            "occurred_at": "2026-12-01T10:00:00Z",
            "type": "tpl_receipt_confirmation",
            "received_at": "2026-12-01T09:30:00Z",
            "lines": lines,
        }
        body.update(extra)
        return body

    def _put_stock(self, product, qty, lot=None):
        self.env["stock.quant"]._update_available_quantity(product, self.stock, qty, lot_id=lot)
