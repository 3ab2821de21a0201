# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL's confirmation over the real webhook (HTTP, Standard Webhooks signature):
accepted and applied; a body its schema refuses is a 422 and nothing is stored."""

from odoo.tests import HttpCase, tagged

from .common import TplCommon

URL = "/logistics_sync/v1/events/test-3pl"


@tagged("post_install", "-at_install")
class TestWebhook(TplCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tpl()

    def _post(self, body):
        raw, headers = self._signed(body, secret=self.tpl.sudo().signing_secret)
        return self.url_open(URL, data=raw, headers=headers)

    def test_signed_confirmation_accepted_then_applied(self):
        self._put_stock(self.product, 5)
        picking, release = self._released([(self.product, 2)])
        response = self._post(self._shipping(picking, [{"sku": "WIDGET", "quantity": 2}], "w1"))
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["events"], [{"event_id": "w1", "status": "accepted"}])
        self._process_pending(self.tpl)
        self.assertEqual(picking.state, "done")
        self.assertEqual(release.state, "confirmed")

    def test_schema_violation_is_422_and_nothing_stored(self):
        picking, _release = self._released([(self.product, 2)])
        before = self.env["logistics.event"].search_count([])
        bad = self._shipping(
            picking,
            [{"sku": "WIDGET", "quantity": "two"}],
            "w2",
            packages=[{"sscc": "123"}],
        )
        response = self._post(bad)
        self.assertEqual(response.status_code, 422, response.text)
        fields = {detail["field"] for detail in response.json()["error"]["details"]}
        self.assertTrue({"lines.0.quantity", "packages.0.sscc"} <= fields, fields)
        self.assertEqual(self.env["logistics.event"].search_count([]), before)
        self.assertNotEqual(picking.state, "done")
