# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A carrier endpoint with a responsible group and no responsible user: a refused
booking's activity goes to the group's active internal user (the carrier simulator,
a real server on 127.0.0.1; an Inventory / User in no Logistics Sync group validates)."""

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CarrierCommon
from odoo.addons.queue_job.tests.common import trap_jobs

QUIET = (
    "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit",
    "odoo.addons.logistics_sync_carrier.models.logistics_endpoint",
    "odoo.addons.logistics_sync_carrier.models.stock_picking",
    "odoo.addons.logistics_sync_carrier.adapters",
    "urllib3.connectionpool",
)


@tagged("post_install", "-at_install")
class TestResponsibleGroup(CarrierCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_carrier("rest", ["--timeout-sleep", "3"])
        cls.clerk = new_test_user(cls.env, login="ls_group_clerk", groups="stock.group_stock_user")
        cls.desk = new_test_user(
            cls.env, login="ls_carrier_desk", name="Carrier Desk", groups="base.group_user"
        )
        group = cls.env["res.groups"].create({"name": "Carrier desk", "users": cls.desk.ids})
        cls.endpoint.write({"responsible_user_id": False, "responsible_group_id": group.id})

    def setUp(self):
        super().setUp()
        self.sim.reset()

    @mute_logger(*QUIET)
    def test_refused_booking_activity_for_the_group(self):
        picking = self._shipment()
        self.endpoint.auth_api_key = "wrong-key"
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1.0)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        with trap_jobs() as trap:
            self.assertIs(picking.with_user(self.clerk).button_validate(), True)
            self._run_jobs(trap)
        self.assertEqual(picking.logistics_booking_state, "failed")
        self.assertIn("credentials", picking.logistics_booking_error)
        self.assertEqual(picking.activity_ids.summary, "Carrier booking")
        self.assertEqual(picking.activity_ids.user_id, self.desk)
