# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The typed event ``freight_charge`` on the inbound webhook."""

from odoo.tests import HttpCase, TransactionCase, tagged

from .common import FreightCommon
from odoo.addons.queue_job.tests.common import trap_jobs

URL = "/logistics_sync/v1/events/%s"


def charge_event(event_id, ref, number, lines, total=None, currency="USD"):
    return {
        "type": "freight_charge",
        "event_id": event_id,
        "shipment_ref": ref,
        "occurred_at": "2026-11-30T10:00:00Z",
        "invoice_number": number,
        "invoice_date": "2026-11-30",
        "currency": currency,
        "total": sum(line["amount"] for line in lines) if total is None else total,
        "lines": lines,
    }


@tagged("post_install", "-at_install")
class TestFreightEvent(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.picking = cls._done_picking({cls.type_base: 100.0, cls.type_fuel: 8.0})

    def test_a_charge_event_is_stored_matched_and_audited(self):
        (event,) = self._ingest(
            charge_event(
                "fc-1",
                self.picking.name,
                "INV-7",
                [
                    {"type": "base", "amount": 100.0},
                    {"type": "fuel", "amount": 8.0, "description": "Fuel 8 %"},
                ],
            )
        )
        self.assertEqual(event.event_type, "freight_charge")
        self._process_pending()
        self.assertEqual(event.state, "applied")
        invoice = self.env["logistics.freight.invoice"].search([("event_id", "=", event.id)])
        self.assertEqual(
            (invoice.name, invoice.amount_total, invoice.partner_id), ("INV-7", 108.0, self.carrier)
        )
        self.assertEqual(invoice.charge_ids.mapped("state"), ["approved", "approved"])
        # the same carrier invoice number under another event id: a dead letter
        (again,) = self._ingest(
            charge_event("fc-2", self.picking.name, "INV-7", [{"type": "base", "amount": 1.0}])
        )
        self._process_pending()
        self.assertEqual(again.state, "dead")
        self.assertEqual(again.last_error, "Carrier invoice INV-7 was already received.")
        self.assertEqual(
            self.env["logistics.freight.invoice"].search_count([("name", "=", "INV-7")]), 1
        )

    def test_bad_charge_events_are_refused(self):
        Event = self.env["logistics.event"]
        errors = Event._validate_payloads([charge_event("fc-3", self.picking.name, "INV-8", [])])
        self.assertEqual([(e["index"], e["field"]) for e in errors], [(0, "lines")])
        errors = Event._validate_payloads(
            [
                charge_event(
                    "fc-4",
                    self.picking.name,
                    "INV-8",
                    [{"type": "base", "amount": "100"}],
                    total=100,
                )
            ]
        )
        self.assertEqual([e["field"] for e in errors], ["lines.0.amount"])
        before = self.Charge.search_count([])
        (wrong_total,) = self._ingest(
            charge_event(
                "fc-5", self.picking.name, "INV-9", [{"type": "base", "amount": 100.0}], total=90.0
            )
        )
        self._process_pending()
        self.assertEqual(wrong_total.state, "dead")
        self.assertIn("is not the sum of the lines", wrong_total.last_error)
        self.assertEqual(self.Charge.search_count([]), before)

    def test_an_impossible_invoice_date_stored_earlier_is_a_dead_letter_at_once(self):
        """The issue's event (stored before the schema said ``format: date``, or by
        another path): processing it can never succeed, so it is a dead letter at
        once naming the field, never a retry job."""
        bad = charge_event("fc-13", self.picking.name, "INV-13", [{"type": "base", "amount": 5.0}])
        bad["invoice_date"] = "2026-13-45"
        (event,) = self._ingest(bad)
        before = self.Charge.search_count([])
        with trap_jobs() as trap:
            self._process_pending()
        retries = [job for job in trap.enqueued_jobs if job.method_name == "_job_process"]
        self.assertEqual(retries, [], "no retry job")
        self.assertEqual((event.state, event.attempts), ("dead", 1))
        self.assertIn("invoice_date: '2026-13-45' is not a calendar date", event.last_error)
        self.assertEqual(self.Charge.search_count([]), before)
        self.assertEqual(self.picking.logistics_sync_state, "error")


@tagged("post_install", "-at_install")
class TestFreightWebhook(FreightCommon, HttpCase):
    """The typed event through the real webhook: accepted, or refused storing nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()
        cls.picking = cls._done_picking({cls.type_base: 100.0})

    def _post(self, body):
        raw, headers = self._signed(body)
        return self.url_open(URL % self.endpoint.code, data=raw, headers=headers)

    def test_posted_charge_is_accepted_and_a_bad_one_stores_nothing(self):
        Event = self.env["logistics.event"]
        before = Event.search_count([])
        response = self._post(
            charge_event("fc-h1", self.picking.name, "INV-H", [{"type": "base", "amount": 99.0}])
        )
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["events"], [{"event_id": "fc-h1", "status": "accepted"}])
        self.assertEqual(Event.search_count([]), before + 1)
        bad = charge_event("fc-h2", self.picking.name, "INV-H2", [{"type": "base"}], total=1)
        response = self._post(bad)
        self.assertEqual(response.status_code, 422, response.text)
        error = response.json()["error"]
        self.assertEqual(error["code"], "invalid_events")
        self.assertEqual([(d["index"], d["field"]) for d in error["details"]], [(0, "lines.0")])
        self.assertIn("'amount' is a required property", error["details"][0]["message"])
        self.assertEqual(Event.search_count([]), before + 1)

    def test_an_impossible_invoice_date_is_refused_at_the_webhook(self):
        """2026-13-45 fits the pattern, not the format ``date``: 422, the field named,
        nothing stored (CONTRACT.md)."""
        Event = self.env["logistics.event"]
        before = Event.search_count([])
        bad = charge_event("fc-h3", self.picking.name, "INV-H3", [{"type": "base", "amount": 1.0}])
        bad["invoice_date"] = "2026-13-45"
        response = self._post(bad)
        self.assertEqual(response.status_code, 422, response.text)
        details = response.json()["error"]["details"]
        self.assertEqual([(d["index"], d["field"]) for d in details], [(0, "invoice_date")])
        self.assertIn("'2026-13-45' is not a calendar date", details[0]["message"])
        self.assertEqual(Event.search_count([]), before)


@tagged("post_install", "-at_install")
class TestFreightExpectedCost(FreightCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_freight()

    def test_frozen_from_the_booking_answer(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": eur.id,
                "name": "2026-01-01",
                "rate": 0.5,
                "company_id": self.company.id,
            }
        )
        picking = self._make_picking()
        self.env["logistics.carrier.booking"].create(
            {
                "picking_id": picking.id,
                "idempotency_key": "k-1",
                "shipment_id": "S-1",
                "price": 42.0,
                "currency": "EUR",
            }
        )
        picking._logistics_booking_done(False)
        expected = picking.freight_expected_id
        self.assertEqual((expected.source, expected.currency_id), ("booking", eur))
        self.assertEqual(expected.line_ids.charge_type_id, self.type_base)
        self.assertEqual((expected.amount_total, expected.amount_company), (42.0, 84.0))
        # frozen: another answer later changes nothing
        self.env["logistics.carrier.booking"].create(
            {
                "picking_id": picking.id,
                "idempotency_key": "k-2",
                "shipment_id": "S-2",
                "price": 50.0,
                "currency": "EUR",
            }
        )
        picking._logistics_booking_done(False)
        self.assertEqual(picking.freight_expected_id, expected)
        self.assertEqual(expected.amount_total, 42.0)
