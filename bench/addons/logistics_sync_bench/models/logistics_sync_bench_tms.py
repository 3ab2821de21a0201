# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""bench/tms: public (RPC) wrappers around the TMS release hooks of
logistics_sync_tms (logistics_sync_tms/docs/TMS_API.md, "Bench hooks").  Needs logistics_sync_tms in the
benchmark database; the bench addon itself depends on base only."""

from odoo import api, fields, models

BENCH_CODE = "bench-tms"


class LogisticsSyncBenchRow(models.Model):
    _inherit = "logistics.sync.bench.row"

    # sudo throughout: the bench configures endpoints, routes and settings, which only
    # system administrators may write (the endpoint's token is admin-only), on behalf
    # of the bench's RPC caller; nothing here runs outside bench/tms.
    def _bench_tms_endpoint(self):
        return (
            self.env["logistics.endpoint"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", BENCH_CODE)], limit=1)
        )

    @api.model
    def bench_tms_setup(self, sim_url, token, capacity=2, batch_size=200):
        """The bench TMS endpoint on the simulator, in batch mode (nothing is
        released while the transfers are made), and a routing rule sending every
        outgoing transfer of the main warehouse to it."""
        self.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        values = {
            "name": "Bench TMS (simulator)",
            "kind": "tms",
            "base_url": sim_url,
            "auth_type": "bearer",
            "auth_token": token,
            "http_timeout": 10,
            "channel_capacity": capacity,
            "tms_trigger": "batch",
            "tms_batch_size": batch_size,
            "active": True,
        }
        endpoint = self._bench_tms_endpoint()
        if endpoint:
            endpoint.write(values)
            endpoint.action_reset_circuit()
        else:
            endpoint = self.env["logistics.endpoint"].sudo().create(dict(values, code=BENCH_CODE))
        # releases an earlier run left unsent (its Odoo stopped before their job
        # committed) would be sent by this run's window first: not this run's
        self.env["logistics.tms.release"].sudo().search(
            [("endpoint_id", "=", endpoint.id), ("state", "in", ("draft", "queued", "blocked"))]
        ).unlink()
        warehouse = self.env["stock.warehouse"].search([], limit=1)
        Route = self.env["logistics.tms.route"].sudo().with_context(active_test=False)
        Route.search([("endpoint_id", "=", endpoint.id)]).unlink()
        Route.create({"endpoint_id": endpoint.id, "warehouse_id": warehouse.id, "sequence": 1})
        return {"channel": endpoint.channel_name, "endpoint_id": endpoint.id}

    @api.model
    def bench_tms_make_pickings(self, count):
        """``count`` confirmed outgoing transfers with weight, a full address, a
        pickup date (scheduled) and a delivery date (deadline)."""
        warehouse = self.env["stock.warehouse"].search([], limit=1)
        customers = self.env.ref("stock.stock_location_customers")
        # one product for every run: creating a product clears the registry's caches
        # (in every worker: the next RPC call would check the password's hash again,
        # the next job would start with cold caches), which is no part of a release
        Product = self.env["product.product"]
        product = Product.search([("default_code", "=", "BENCH-TMS-PALLET")], limit=1)
        product = product or Product.create(
            {
                "name": "Bench pallet",
                "default_code": "BENCH-TMS-PALLET",
                "weight": 12.5,
                "is_storable": True,
            }
        )
        partner = self.env["res.partner"].create(
            {
                "name": "Bench consignee",
                "street": "1 rue de la Paix",
                "city": "Lyon",
                "zip": "69001",
                "country_id": self.env.ref("base.fr").id,
            }
        )
        pickings = self.env["stock.picking"].create(
            [
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": partner.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": customers.id,
                    "scheduled_date": fields.Datetime.now(),
                    "move_ids": [
                        fields.Command.create(
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": 2,
                                # the delivery date a release needs (else "blocked")
                                "date_deadline": fields.Datetime.add(fields.Datetime.now(), days=3),
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": customers.id,
                            }
                        )
                    ],
                }
                for _index in range(count)
            ]
        )
        pickings.action_confirm()
        return pickings.ids

    @api.model
    def bench_tms_release(self, picking_ids, mode):
        """What a trigger does, timed by the caller.

        ``realtime``: the endpoint releases in real time; the transfers get their
        releases and one job each on the endpoint's channel.  ``batch``: the
        transfers get their releases, waiting for the window, and the window
        opens (one job per ``tms_batch_size`` releases, side by side).
        """
        endpoint = self._bench_tms_endpoint()
        endpoint.tms_trigger = "ready" if mode == "realtime" else "batch"
        pickings = self.env["stock.picking"].browse(picking_ids)
        releases = pickings._tms_create_releases(endpoint=endpoint)
        if mode == "batch":
            endpoint._tms_enqueue_batch()  # what the window's cron does
        return len(releases)
