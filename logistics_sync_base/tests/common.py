# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import time
from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import Form

from ..lib import signature


def event(event_id, ref, milestone, minutes=0, **extra):
    """A canonical event dict; ``minutes`` after a fixed time on 2026-11-26."""
    occurred = datetime(2026, 11, 26, 8, 0) + timedelta(minutes=minutes)
    body = {
        "event_id": event_id,
        "shipment_ref": ref,
        "milestone": milestone,
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body.update(extra)
    return body


def map_native_format(endpoint, statuses):
    """Configure, as an admin does in the endpoint form, the JSON format of the carrier
    simulator (``{"id", "shipment": {...}, "status": {"code", "at"}, "location"}``)
    signed with a hex HMAC-SHA256 in X-Sim-Signature; ``statuses``: code -> milestone."""
    with Form(endpoint) as form:
        form.signature_scheme = "hmac"
        form.signature_header = "X-Sim-Signature"
        form.signature_encoding = "hex"
        form.inbound_format = "mapped"
        form.map_event_id_path = "id"
        form.map_shipment_ref_path = "shipment.reference"
        form.map_tracking_ref_path = "shipment.tracking_number"
        form.map_status_path = "status.code"
        form.map_occurred_at_path = "status.at"
        form.map_sequence_path = "sequence"
        form.map_location_city_path = "location.city"
        form.map_location_country_path = "location.country_iso"
        for code, milestone in statuses.items():
            with form.status_map_ids.new() as line:
                line.source_code = code
                line.milestone = milestone


class LogisticsCommon:
    """Shared fixtures: an endpoint, a product in stock, outgoing transfers."""

    @classmethod
    def _setup_logistics(cls):
        if not cls.registry.test_cr:
            # The pipeline writes some state in transactions of its own
            # (registry.cursor()); in test mode those share the test's.
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.responsible = cls.env["res.users"].create(
            {
                "name": "Dispatcher",
                "login": "ls_dispatcher",
                "email": "dispatcher@example.com",
                "groups_id": [
                    Command.link(cls.env.ref("logistics_sync_base.group_logistics_sync_user").id)
                ],
            }
        )
        cls.endpoint = cls.env["logistics.endpoint"].create(
            {
                "name": "Test carrier",
                "code": "test-carrier",
                "kind": "carrier",
                "responsible_user_id": cls.responsible.id,
            }
        )
        cls.secret = cls.endpoint.sudo().signing_secret
        cls.product = cls.env["product.product"].create(
            {"name": "Pallet of widgets", "is_storable": True}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Customer Ltd"})

    @classmethod
    def _make_picking(cls, company=None, name=None):
        company = company or cls.company
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        picking = env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": cls.customer.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
                "company_id": company.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": cls.product.name,
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "product_uom": cls.product.uom_id.id,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": env.ref("stock.stock_location_customers").id,
                            "company_id": company.id,
                        }
                    )
                ],
                **({"name": name} if name else {}),
            }
        )
        picking.action_confirm()
        return picking

    def _validate(self, picking):
        """Register the dispatch: put stock in place and validate the transfer."""
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")

    def _ingest(self, *events, endpoint=None):
        endpoint = endpoint or self.endpoint
        status, body = self.env["logistics.event"]._ingest(endpoint, list(events))
        self.assertIn(status, (200, 202), body)
        return self.env["logistics.event"].search(
            [
                ("endpoint_id", "=", endpoint.id),
                ("external_id", "in", [e["event_id"] for e in events]),
            ]
        )

    def _perform_raising(self, job, exception):
        """Perform a trapped job that must raise ``exception``; returns it.

        Not ``assertRaises``: Odoo's rolls back a savepoint, and in test mode that
        would also undo what the job wrote in transactions of its own (before
        raising, as queue_job's retries need)."""
        try:
            job.perform()
        except exception as exc:
            return exc
        self.fail(f"{job} did not raise {exception.__name__}")

    def _process_pending(self, endpoint=None):
        (endpoint or self.endpoint)._job_process_pending()

    def _signed(self, body, secret=None, msg_id="msg-1", timestamp=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = signature.sign_headers(
            secret or self.secret, msg_id, raw, timestamp=timestamp or int(time.time())
        )
        headers["Content-Type"] = "application/json"
        return raw, headers
