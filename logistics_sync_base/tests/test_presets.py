# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Provider presets: pick one, paste the secret, receive the provider's own webhook."""

import json

from odoo.tests import Form, HttpCase, new_test_user, tagged

from ..lib import presets
from . import provider_samples as samples
from .common import LogisticsCommon

URL = "/logistics_sync/v1/events/%s"
KEY = "provider-issued-secret-4f1c"


@tagged("post_install", "-at_install")
class TestPresets(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        # configuring takes a Logistics Sync manager; the secret a system administrator
        cls.admin = new_test_user(
            cls.env,
            login="ls_sysadmin",
            groups="base.group_system,logistics_sync_base.group_logistics_sync_manager",
        )

    def _onboard(self, preset, **extra):
        """The five steps of readme/CONFIGURE.md, as an administrator does them."""
        env = self.env(user=self.admin)
        with Form(env["logistics.endpoint"]) as form:
            form.name = preset
            form.code = f"p-{preset}"
            form.kind = "other"
            form.inbound_preset = preset
            for name, value in extra.items():
                setattr(form, name, value)
        endpoint = form.record
        action = endpoint.action_paste_secret()
        with Form(env[action["res_model"]].with_context(**action["context"])) as wizard:
            wizard.pasted_secret = KEY
        wizard.record.action_generate()
        return endpoint

    def _post(self, endpoint, body, headers):
        raw = json.dumps(body).encode()
        return self.url_open(
            URL % endpoint.code, data=raw, headers={"Content-Type": "application/json", **headers}
        )

    def _stored(self, endpoint):
        return self.env["logistics.event"].search([("endpoint_id", "=", endpoint.id)], order="id")

    def _check(self, preset, body, expected, **extra):
        endpoint = self._onboard(preset, **extra)
        raw = json.dumps(body).encode()
        bad = samples.SIGNERS[preset]("not-" + KEY, raw)
        refused = self._post(endpoint, body, bad)
        self.assertEqual(refused.status_code, 401, refused.text)
        self.assertEqual(refused.json()["error"]["code"], "invalid_signature")
        self.assertNotIn(KEY, refused.text)
        self.assertFalse(self._stored(endpoint), "a wrong signature stores nothing")
        response = self._post(endpoint, body, samples.SIGNERS[preset](KEY, raw))
        self.assertEqual(response.status_code, 202, response.text)
        stored = self._stored(endpoint)
        got = [
            (
                event.shipment_ref,
                event.milestone,
                event.occurred_at.isoformat(),
                event.location_country_code or None,
            )
            for event in stored
        ]
        self.assertEqual(got, expected)
        again = self._post(endpoint, body, samples.SIGNERS[preset](KEY, raw))
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(len(self._stored(endpoint)), len(expected), "a duplicate adds nothing")
        return stored

    def test_aftership(self):
        stored = self._check(
            "aftership",
            samples.aftership("1Z999AA10123456784"),
            [("1Z999AA10123456784", "in_transit", "2026-11-26T16:05:00", "FR")],
        )
        self.assertEqual(stored.external_id, "9a0e8b5e-6f63-4c1d-9c53-0b6d2a1f6c11")
        self.assertEqual((stored.location_city, stored.source_status), ("Lyon", "InTransit"))

    def test_easypost(self):
        stored = self._check(
            "easypost",
            samples.easypost("9400110898825022579493"),
            [("9400110898825022579493", "delivered", "2026-11-26T15:30:00", "US")],
        )
        self.assertEqual(stored.external_id, "evt_3b7a1c0e2d6f4a8b9c")

    def test_17track_many_shipments_in_one_body_local_times(self):
        stored = self._check(
            "17track",
            samples.seventeen_track("RR123456789CN", "RR987654321CN"),
            [
                ("RR123456789CN", "delivered", "2026-11-26T09:05:00", None),
                ("RR987654321CN", "in_transit", "2026-11-26T01:30:00", None),
            ],
            map_time_zone="Asia/Shanghai",
        )
        self.assertTrue(all(e.external_id.startswith("h-") for e in stored), "derived ids")
        self.assertEqual(stored[0].location_city, "SHANGHAI")
        body = json.loads(stored[0].payload)
        self.assertEqual(body["number"], "RR123456789CN", "each event keeps its own item")

    def test_shippo(self):
        self._check(
            "shippo",
            samples.shippo("92055901755477000271990251"),
            [("92055901755477000271990251", "in_transit", "2026-11-26T09:15:00", "US")],
        )

    def test_shipengine(self):
        stored = self._check(
            "shipengine",
            samples.shipengine("9405511899223197428490"),
            [("9405511899223197428490", "delivered", "2026-11-26T14:36:00", "US")],
        )
        self.assertEqual(stored.location_postal_code, "78756")

    def test_every_preset_is_tested_and_fills_the_status_table(self):
        tested = {"aftership", "easypost", "17track", "shippo", "shipengine"}
        own = {key for key, preset in presets.PRESETS.items() if "addon" not in preset}
        self.assertEqual(own, tested, "other addons test the presets they register")
        endpoint = self._onboard("easypost")
        self.assertEqual(
            sorted(endpoint.status_map_ids.mapped("source_code")),
            sorted(code for code, _milestone in presets.statuses("easypost")),
        )
        # switching preset replaces the table and clears what the other one set
        with Form(endpoint.with_user(self.admin)) as form:
            form.inbound_preset = "shippo"
        self.assertEqual(
            sorted(endpoint.status_map_ids.mapped("source_code")),
            sorted(code for code, _milestone in presets.statuses("shippo")),
        )
        self.assertFalse(endpoint.map_event_id_path)
        self.assertFalse(endpoint.signature_prefix)
