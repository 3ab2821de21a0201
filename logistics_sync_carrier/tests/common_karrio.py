# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Real carriers through karrio, pointed at our HTTP fakes of UPS, FedEx and USPS on 127.0.0.1."""

import json
import os
import tempfile
from pathlib import Path

import requests

from odoo import Command

from .common import CarrierCommon
from odoo.addons.logistics_sync_base.simulator import launcher
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.exception import RetryableJobError

FAKE = Path(__file__).resolve().parent.parent / "simulator" / "karrio_fake.py"
CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret-123"
SERVICES = {
    "ups": "ups_standard",
    "fedex": "fedex_international_priority",
    "usps": "usps_priority_mail",
    "usps_international": "usps_priority_mail_international",
}


def karrio_settings(carrier, secret=CLIENT_SECRET):
    if carrier in ("usps", "usps_international"):
        return {
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "account_number": "1000123456",
            "CRID": "56982563",
            "MID": "902000001",
        }
    if carrier == "ups":
        return {"client_id": CLIENT_ID, "client_secret": secret, "account_number": "A1B2C3"}
    return {
        "api_key": CLIENT_ID,
        "secret_key": secret,
        "account_number": "510087020",
        "track_api_key": CLIENT_ID,
        "track_secret_key": secret,
    }


class KarrioFake:
    """``karrio_fake.py --carrier <carrier>`` started, and stopped by its PID."""

    def __init__(self, carrier, *args):
        self.carrier = carrier
        self.tmp = tempfile.mkdtemp(prefix=f"lsync-{carrier}-")
        self.process, self.url = launcher.spawn(
            FAKE,
            [
                "--carrier",
                carrier,
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
                "--webhook-secret",
                "unused",
                "--max-lifetime",
                "900",
                "--timeout-sleep",
                "3",
                *args,
            ],
            log_path=os.path.join(self.tmp, "fake.log"),
        )

    def _post(self, path, body):
        response = requests.post(f"{self.url}{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self):
        self._post("/_sim/reset", {})

    def config(self, **values):
        return self._post("/_sim/config", values)

    def script_faults(self, *faults):
        self._post("/_sim/faults", {"next": list(faults)})

    def malformed(self, *kinds):
        self._post("/_fake/malformed", {"next": list(kinds)})

    def lookup_faults(self, *kinds):
        """The next reference lookups fail so ("500", "503", "429", "timeout")."""
        self._post("/_fake/lookup-faults", {"next": list(kinds)})

    def stats(self):
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()

    def last_booking(self):
        return requests.get(f"{self.url}/_fake/last-booking", timeout=5).json()

    def stop(self):
        launcher.stop(self.process)


class KarrioCommon(CarrierCommon):
    @classmethod
    def _karrio_endpoints(cls, fakes, second):
        """``cls.endpoints``/``cls.carriers``: an endpoint and a delivery method per
        carrier of ``fakes`` ({karrio carrier: its fake}), the first on the common
        endpoint, the second on a new one named ``second`` (name, code)."""
        cls.carriers, cls.endpoints = {}, {}
        service = cls.env["product.product"].create({"name": "Shipping", "type": "service"})
        for index, (carrier, fake) in enumerate(fakes.items()):
            endpoint = (
                cls.endpoint
                if not index
                else cls.env["logistics.endpoint"].create(
                    {"name": second[0], "code": second[1], "kind": "carrier"}
                )
            )
            endpoint.write(
                {
                    "name": carrier.upper(),
                    "responsible_user_id": cls.responsible.id,
                    "carrier_protocol": "karrio",
                    "karrio_carrier": carrier,
                    "karrio_settings": json.dumps(karrio_settings(carrier)),
                    "carrier_service": SERVICES[carrier],
                    "base_url": fake.url,
                    "http_timeout": 2.0,
                    "retry_base_seconds": 1,
                    "circuit_threshold": 100,
                    "circuit_cooldown": 1,
                    "tracking_mode": "poll",
                }
            )
            cls.endpoints[carrier] = endpoint
            cls.carriers[carrier] = cls.env["delivery.carrier"].create(
                {
                    "name": f"{carrier.upper()} (karrio)",
                    "product_id": service.id,
                    "delivery_type": "logistics_sync",
                    "integration_level": "rate_and_ship",
                    "logistics_endpoint_id": endpoint.id,
                }
            )
        cls.endpoint.flush_recordset()

    @classmethod
    def _setup_karrio(cls):
        cls._setup_logistics()
        cls.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        cls.company.partner_id.write(
            {
                "street": "Friedrichstrasse 1",
                "city": "Berlin",
                "zip": "10117",
                "country_id": cls.env.ref("base.de").id,
                "phone": "+49 30 123456",
            }
        )
        cls.customer.write(
            {
                "street": "1 Rue de la Paix",
                "city": "Lyon",
                "zip": "69001",
                "country_id": cls.env.ref("base.fr").id,
                "phone": "+33 4 1234567",
            }
        )
        cls.product.write(
            {"weight": 2.0, "hs_code": "8479.89", "country_of_origin": cls.env.ref("base.de").id}
        )
        cls.fakes = {}
        for carrier in ("ups", "fedex"):
            cls.fakes[carrier] = KarrioFake(carrier, "--seed", "5")
            cls.addClassCleanup(cls.fakes[carrier].stop)
        cls._karrio_endpoints(cls.fakes, second=("FedEx", "test-fedex"))
        cls.clerk = plain_user(cls, "ls_karrio_clerk", "stock.group_stock_user")

    @classmethod
    def _setup_usps(cls, carriers=("usps",), second=None):
        """A New York shipper and recipient, the USPS fake (``cls.fake``) and an
        endpoint per karrio carrier of ``carriers`` on it."""
        cls._setup_logistics()
        cls.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        us = cls.env.ref("base.us")
        ny = cls.env.ref("base.state_us_27")
        for partner, street, zip_code, phone in (
            (cls.company.partner_id, "1 Main St", "10001", "+1 212 555 0100"),
            (cls.customer, "350 5th Ave", "10118", "+1 212 555 0199"),
        ):
            partner.write(
                {
                    "street": street,
                    "city": "New York",
                    "zip": zip_code,
                    "country_id": us.id,
                    "state_id": ny.id,
                    "phone": phone,
                }
            )
        cls.product.write({"weight": 2.0, "hs_code": "8479.89", "country_of_origin": us.id})
        cls.fake = KarrioFake("usps", "--seed", "5")
        cls.addClassCleanup(cls.fake.stop)
        cls.fakes = dict.fromkeys(carriers, cls.fake)
        cls._karrio_endpoints(cls.fakes, second=second)

    def _perform_round(self, trap, jobs=()):
        """As CarrierCommon's, each job on its own endpoint's channel."""
        channels = {e.channel_name for e in self.endpoints.values()}
        jobs = list(jobs) + trap.enqueued_jobs
        trap.enqueued_jobs = []
        postponed = []
        for job in jobs:
            self.assertIn(job.channel, channels, job)
            try:
                job.perform()
            except RetryableJobError as exc:
                self.assertGreaterEqual(exc.seconds, 1, "a delay queue_job honours")
                postponed.append(job)
        return postponed

    def _shipment_with(self, carrier, quantity=1):
        picking = self._make_picking()
        picking.carrier_id = self.carriers[carrier]
        if quantity != 1:
            picking.move_ids.product_uom_qty = quantity
        return picking

    def _clerk_validates(self, picking, packages=0):
        """The Inventory / User validates (in ``packages`` packages when given)."""
        quantity = picking.move_ids.product_uom_qty
        self.env["stock.quant"]._update_available_quantity(
            self.product, picking.location_id, quantity
        )
        mine = picking.with_user(self.clerk)
        mine.action_assign()
        if packages:
            line = picking.move_line_ids
            line.quantity = quantity / packages
            for index in range(packages):
                package = self.env["stock.quant.package"].create(
                    {"name": f"{picking.name}-P{index}", "shipping_weight": 2.0 + index}
                )
                if index == 0:
                    line.result_package_id = package
                else:
                    line.copy({"quantity": quantity / packages, "result_package_id": package.id})
        picking.move_ids.picked = True
        self.assertIs(mine.button_validate(), True)
        self.assertEqual(picking.state, "done")
        return mine


__all__ = ["Command", "KarrioCommon", "KarrioFake", "karrio_settings"]
