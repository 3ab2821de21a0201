# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsSyncBenchRow(models.Model):
    _name = "logistics.sync.bench.row"
    _description = "Logistics Sync benchmark row"

    payload = fields.Text()

    def init(self):
        # When each event became applied, by the database clock at that statement
        # (Odoo's Datetime fields keep whole seconds only): bench/pipeline reads it
        # to measure POST -> applied latency.
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS logistics_sync_bench_applied (
                event_id integer PRIMARY KEY,
                applied_clock timestamptz NOT NULL
            );
            CREATE OR REPLACE FUNCTION logistics_sync_bench_applied_fn() RETURNS trigger AS $$
            BEGIN
                INSERT INTO logistics_sync_bench_applied VALUES (NEW.id, clock_timestamp())
                ON CONFLICT DO NOTHING;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS logistics_sync_bench_applied_tg ON logistics_event;
            CREATE TRIGGER logistics_sync_bench_applied_tg AFTER UPDATE OF state ON logistics_event
            FOR EACH ROW WHEN (NEW.state IN ('applied', 'superseded') AND OLD.state <> NEW.state)
            EXECUTE FUNCTION logistics_sync_bench_applied_fn();
            """
        )

    @api.model
    def bench_enqueue_noop(self, count, channel="root.logistics_sync.demo-tms"):
        """Queue ``count`` jobs that do nothing (the queue_job baseline), on the
        channel of the work they are compared with."""
        jobs = [
            self.with_delay(channel=channel, description="bench no-op")._job_noop()
            for _index in range(count)
        ]
        return [job.uuid for job in jobs]

    def _job_noop(self):
        return "ok"

    # ---- bench/booking (needs logistics_sync_carrier in the database)
    @api.model
    def bench_carrier_setup(self, sim_url, api_key, capacity=2):
        self.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        values = {
            "name": "Bench carrier (simulator)",
            "kind": "carrier",
            "base_url": sim_url,
            "auth_type": "api_key",
            "api_key_header": "X-API-Key",
            "auth_api_key": api_key,
            "http_timeout": 10,
            "tracking_mode": "poll",
            "channel_capacity": capacity,
            "active": True,
        }
        return self._bench_endpoint_carrier("bench-carrier", values, "Bench carrier")

    @api.model
    def _bench_endpoint_carrier(self, code, values, name):
        """The bench endpoint ``code`` (created or updated with ``values``) and its carrier."""
        Endpoint = self.env["logistics.endpoint"].sudo().with_context(active_test=False)
        endpoint = Endpoint.search([("code", "=", code)], limit=1)
        if endpoint:
            endpoint.write(values)
            endpoint.action_reset_circuit()
        else:
            endpoint = Endpoint.create(dict(values, code=code))
        Carrier = self.env["delivery.carrier"].sudo()
        carrier = Carrier.search([("logistics_endpoint_id", "=", endpoint.id)], limit=1)
        if not carrier:
            product = self.env["product.product"].create(
                {"name": f"{name} shipping", "type": "service"}
            )
            carrier = Carrier.create(
                {
                    "name": name,
                    "product_id": product.id,
                    "delivery_type": "logistics_sync",
                    "integration_level": "rate_and_ship",
                    "logistics_endpoint_id": endpoint.id,
                }
            )
        return {"channel": endpoint.channel_name, "carrier_id": carrier.id}

    @api.model
    def bench_karrio_setup(self, fake_url, client_id, client_secret, capacity=2, label="PDF"):
        """A UPS-through-karrio endpoint on the UPS fake, and its carrier (``label``:
        PDF, which karrio makes from UPS's label image, or ZPL, kept as given)."""
        import json

        self.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        partner = self.env.company.partner_id
        if not partner.country_id:
            partner.write(
                {
                    "street": "Friedrichstr. 1",
                    "city": "Berlin",
                    "zip": "10117",
                    "country_id": self.env.ref("base.de").id,
                }
            )
        values = {
            "name": "Bench carrier (karrio UPS fake)",
            "kind": "carrier",
            "carrier_protocol": "karrio",
            "karrio_carrier": "ups",
            "karrio_settings": json.dumps(
                {"client_id": client_id, "client_secret": client_secret, "account_number": "B1"}
            ),
            "carrier_service": "ups_standard",
            "karrio_label_type": label,
            "base_url": fake_url,
            "http_timeout": 10,
            "tracking_mode": "poll",
            "channel_capacity": capacity,
            "active": True,
        }
        return self._bench_endpoint_carrier("bench-karrio", values, "Bench karrio carrier")

    @api.model
    def bench_make_pickings(self, carrier_id, count):
        warehouse = self.env["stock.warehouse"].search([], limit=1)
        customers = self.env.ref("stock.stock_location_customers")
        product = self.env["product.product"].create({"name": "Bench parcel", "weight": 1.5})
        partner = self.env["res.partner"].create(
            {
                "name": "Bench customer",
                "street": "1 Rue de la Paix",
                "city": "Lyon",
                "zip": "69001",
                "country_id": self.env.ref("base.fr").id,
                "phone": "+33 4 1234567",
            }
        )
        pickings = self.env["stock.picking"].create(
            [
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": partner.id,
                    "carrier_id": carrier_id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": customers.id,
                    "move_ids": [
                        fields.Command.create(
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": customers.id,
                            }
                        )
                    ],
                }
                for _index in range(count)
            ]
        )
        return pickings.ids

    @api.model
    def bench_queue_bookings(self, picking_ids):
        """What validating these transfers does for the carrier: queue their bookings."""
        self.env["stock.picking"].browse(picking_ids)._logistics_queue_booking()
        return True
