# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Abuse: a secret never crosses endpoints or companies; unknown fields never reach a
record, even named after the records' own fields."""

import json

from odoo.tests import HttpCase, tagged

from .common import LogisticsCommon, event

URL = "/logistics_sync/v1/events/%s"


@tagged("post_install", "-at_install")
class TestAbuse(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()
        cls.other_company = cls.env["res.company"].create({"name": "Other Co (abuse)"})
        cls.other = cls.env["logistics.endpoint"].create(
            {
                "name": "Other company's TMS",
                "code": "abuse-other",
                "kind": "tms",
                "company_id": cls.other_company.id,
            }
        )
        cls.other_secret = cls.other.sudo().signing_secret

    def _post(self, code, body, secret):
        raw, headers = self._signed(body, secret=secret)
        return self.url_open(URL % code, data=raw, headers=headers)

    def _stored(self, event_id):
        return self.env["logistics.event"].sudo().search([("external_id", "=", event_id)])

    def test_a_secret_never_posts_to_another_endpoint_or_company(self):
        before = self.env["logistics.event"].sudo().search_count([])
        # this company's endpoint secret, sent to the other company's endpoint, and back
        for code, secret in (("abuse-other", self.secret), ("test-carrier", self.other_secret)):
            response = self._post(code, event(f"x-{code}", self.picking.name, "booked"), secret)
            self.assertEqual(response.status_code, 401, response.text)
            self.assertEqual(response.json()["error"]["code"], "invalid_signature")
        self.assertEqual(self.env["logistics.event"].sudo().search_count([]), before)
        # each secret works on its own endpoint, and stores on that endpoint's company only
        for code, secret, endpoint in (
            ("test-carrier", self.secret, self.endpoint),
            ("abuse-other", self.other_secret, self.other),
        ):
            body = event(f"own-{code}", self.picking.name, "booked", company_id=999)
            self.assertEqual(self._post(code, body, secret).status_code, 202)
            stored = self._stored(f"own-{code}")
            self.assertEqual(stored.endpoint_id, endpoint)
            self.assertEqual(stored.company_id, endpoint.company_id)

    def test_unknown_fields_named_after_record_fields_never_reach_a_record(self):
        body = event(
            "abuse-fields",
            self.picking.name,
            "picked_up",
            logistics_milestone="delivered",
            state="done",
            picking_id=self.picking.id,
            endpoint_id=self.other.id,
            applied_at="2020-01-01 00:00:00",
            company_id=self.other_company.id,
            partner_id=1,
            write_uid=1,
        )
        self.assertEqual(self._post("test-carrier", body, self.secret).status_code, 202)
        stored = self._stored("abuse-fields")
        self.assertEqual(
            (stored.state, stored.endpoint_id, stored.company_id, stored.applied_at),
            ("received", self.endpoint, self.company, False),
        )
        self.assertEqual(json.loads(stored.payload)["logistics_milestone"], "delivered")
        stored._job_process()
        self.picking.invalidate_recordset()
        self.assertEqual(stored.state, "applied")
        self.assertEqual(self.picking.logistics_milestone, "picked_up")
        self.assertNotEqual(self.picking.state, "done")
        self.assertEqual(self.picking.partner_id, self.customer)
