# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A browser tour per user role: each user, in no Logistics Sync group unless it is
the admin, opens the screens of its role.  The sales and billing tours need the TMS
addon (the order's shipment status) and the freight addon (the freight variance):
without them (monitoring installed alone), they are skipped."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestRoleTours(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.endpoint.name = "Role carrier"
        cls.stock_user = new_test_user(
            cls.env, login="ls_role_stock", groups="base.group_user,stock.group_stock_user"
        )
        cls.sales_user = new_test_user(
            cls.env,
            login="ls_role_sales",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.billing_user = new_test_user(
            cls.env,
            login="ls_role_billing",
            groups="base.group_user,account.group_account_invoice",
        )
        cls.admin_user = new_test_user(
            cls.env,
            login="ls_role_admin",
            groups="base.group_user,base.group_system,logistics_sync_base.group_logistics_sync_manager",
        )

    def _shipped_order(self):
        """An order of the salesperson, its delivery validated and in transit."""
        order = (
            self.env["sale.order"]
            .with_user(self.sales_user)
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        order.action_confirm()
        picking = order.picking_ids
        self._validate(picking)
        self._ingest(event("role-1", picking.name, "in_transit", 1))
        self._process_pending()
        self.assertEqual(picking.logistics_milestone, "in_transit")
        return order, picking

    def _needs(self, module):
        if not self.env["ir.module.module"].search_count(
            [("name", "=", module), ("state", "=", "installed")]
        ):
            self.skipTest(f"{module} is not installed")

    def test_inventory_user(self):
        _order, picking = self._shipped_order()
        self.start_tour(
            f"/odoo/action-stock.action_picking_tree_all/{picking.id}",
            "logistics_sync_role_inventory",
            login=self.stock_user.login,
        )

    def test_sales_user(self):
        self._needs("logistics_sync_tms")  # the order's shipment status
        order, _picking = self._shipped_order()
        self.assertEqual(order.logistics_milestone, "in_transit")
        self.start_tour(
            f"/odoo/action-sale.action_orders/{order.id}",
            "logistics_sync_role_sales",
            login=self.sales_user.login,
        )

    def test_billing_user(self):
        self._needs("logistics_sync_freight")
        self.start_tour(
            "/odoo/action-logistics_sync_freight.logistics_freight_variance_action",
            "logistics_sync_role_billing",
            login=self.billing_user.login,
        )

    def test_admin(self):
        self._shipped_order()
        self.env["logistics.sync.kpi"]._cron_compute()
        self.start_tour(
            "/odoo/action-logistics_sync_monitoring.logistics_endpoint_overview_action",
            "logistics_sync_role_admin",
            login=self.admin_user.login,
        )
        self.start_tour(
            "/odoo/action-logistics_sync_base.logistics_sync_settings_action",
            "logistics_sync_role_settings",
            login=self.admin_user.login,
        )
