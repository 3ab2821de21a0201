# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""bench/tpl_confirm: public (RPC) hooks making released 3PL deliveries and their
shipping confirmations.  Needs logistics_sync_3pl in the benchmark database; the
bench addon itself depends on base only."""

import importlib

from odoo import Command, api, fields, models

BENCH_CODE = "bench-3pl-conf"
LINES = 5
PREFIX = "0614141"


class LogisticsSyncBenchRow(models.Model):  # pylint: disable=consider-merging-classes-inherited
    _inherit = "logistics.sync.bench.row"

    # sudo throughout: the bench configures endpoints and stock on behalf of its RPC
    # caller; nothing here runs outside bench/tpl_confirm.
    @api.model
    def bench_tpl_setup(self, capacity=2):
        """The bench 3PL endpoint (no base URL: nothing is sent), a warehouse made
        for it, five lot-tracked products with one lot each in plenty."""
        # sudo here and in bench_tpl_make: benchmark fixtures (configuration, products,
        # stock) made the way an administrator would, whoever calls the bench method
        Endpoint = self.env["logistics.endpoint"].sudo().with_context(active_test=False)
        endpoint = Endpoint.search([("code", "=", BENCH_CODE)], limit=1)
        values = {"name": "Bench 3PL confirmations", "kind": "wms", "active": True}
        values["channel_capacity"] = capacity
        if endpoint:
            endpoint.write(values)
        else:
            endpoint = Endpoint.create(dict(values, code=BENCH_CODE))
        Warehouse = self.env["stock.warehouse"].sudo()
        warehouse = Warehouse.search([("code", "=", "BCNF")], limit=1) or Warehouse.create(
            {"name": "Bench 3PL confirmations", "code": "BCNF"}
        )
        Product = self.env["product.product"].sudo()
        for index in range(LINES):
            code = f"BCNF-{index}"
            product = Product.search([("default_code", "=", code)], limit=1) or Product.create(
                {"name": code, "default_code": code, "is_storable": True, "tracking": "lot"}
            )
            lot = self.env["stock.lot"].sudo().search(
                [("product_id", "=", product.id), ("name", "=", f"LOT-{code}")], limit=1
            ) or self.env["stock.lot"].sudo().create(
                {"name": f"LOT-{code}", "product_id": product.id}
            )
            self.env["stock.quant"].sudo()._update_available_quantity(
                product, warehouse.lot_stock_id, 1_000_000, lot_id=lot
            )
        return {"channel": endpoint.channel_name, "endpoint_id": endpoint.id}

    @api.model
    def bench_tpl_make(self, count, run):
        """``count`` deliveries of 5 lines each, released (as if the 3PL stored
        them), and their shipping confirmations (5 lines with lots, one package);
        returns the confirmations."""
        endpoint = self.env["logistics.endpoint"].sudo().search([("code", "=", BENCH_CODE)])
        warehouse = self.env["stock.warehouse"].sudo().search([("code", "=", "BCNF")])
        warehouse.tpl_endpoint_id = False  # confirmed without a release job (no 3PL to call)
        products = (
            self.env["product.product"]
            .sudo()
            .search([("default_code", "=like", "BCNF-%")], order="default_code")
        )
        customers = self.env.ref("stock.stock_location_customers")
        partner = self.env.ref("base.main_partner")
        Picking = self.env["stock.picking"].sudo()
        pickings = Picking.create(
            [
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": partner.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": customers.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": 2,
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": customers.id,
                            }
                        )
                        for product in products
                    ],
                }
                for _index in range(count)
            ]
        )
        pickings.action_confirm()
        pickings.action_assign()
        warehouse.tpl_endpoint_id = endpoint
        self.env["logistics.tpl.release"].sudo().create(
            [
                {
                    "name": picking.name,
                    "picking_id": picking.id,
                    "warehouse_id": warehouse.id,
                    "endpoint_id": endpoint.id,
                    "document_type": "shipping_order",
                    "state": "sent",
                    "sent_version": 1,
                    "version": 1,
                }
                for picking in pickings
            ]
        )
        sscc_lib = importlib.import_module("odoo.addons.logistics_sync_3pl.lib.sscc")
        now = fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        events = []
        for index, picking in enumerate(pickings):
            code = sscc_lib.build(PREFIX, (run * 100_000 + index) % 10**9)
            events.append(
                {
                    "event_id": f"bench-conf-{run}-{index}",
                    "shipment_ref": picking.name,
                    "occurred_at": now,
                    "type": "tpl_shipping_confirmation",
                    "shipped_at": now,
                    "document_version": 1,
                    "lines": [
                        {
                            "sku": product.default_code,
                            "quantity": 2,
                            "lot": f"LOT-{product.default_code}",
                            "package": code,
                        }
                        for product in products
                    ],
                    "packages": [{"sscc": code, "weight_kg": 3.0, "tracking_ref": f"T{index}"}],
                }
            )
        return events

    @api.model
    def bench_tpl_ingest(self, events):
        """Store the confirmations as the webhook does (one processing job queued)."""
        endpoint = self.env["logistics.endpoint"].sudo().search([("code", "=", BENCH_CODE)])
        status, _body = self.env["logistics.event"].sudo()._ingest(endpoint, events)
        return status

    @api.model
    def bench_tpl_applied(self, event_ids):
        """How many of ``event_ids`` are applied, and how many ended otherwise."""
        Event = self.env["logistics.event"].sudo()
        domain = [("external_id", "in", event_ids)]
        applied = Event.search_count(domain + [("state", "=", "applied")])
        other = Event.search_count(domain + [("state", "in", ("dead", "failed", "superseded"))])
        return [applied, other]
