# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, tagged

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestDeliveryCarrier(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        service = cls.env["product.product"].create({"name": "Shipping", "type": "service"})
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Test carrier",
                "product_id": service.id,
                "logistics_endpoint_id": cls.endpoint.id,
            }
        )

    def test_carrier_counts_its_endpoint_events(self):
        self.assertEqual(self.carrier.logistics_event_count, 0)
        picking = self._make_picking()
        self._ingest(
            event("c-1", picking.name, "booked"), event("c-2", picking.name, "picked_up", 1)
        )
        self.carrier.invalidate_recordset(["logistics_event_count"])
        self.assertEqual(self.carrier.logistics_event_count, 2)
        other = self.env["delivery.carrier"].create(
            {"name": "No endpoint", "product_id": self.carrier.product_id.id}
        )
        self.assertEqual(other.logistics_event_count, 0)
