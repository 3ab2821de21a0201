# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import new_test_user

from odoo.addons.logistics_sync_freight.tests.common import FreightCommon
from odoo.addons.logistics_sync_monitoring.tests.common import MonitoringCommon


class MonitoringFreightCommon(MonitoringCommon, FreightCommon):
    @classmethod
    def _setup_monitoring_freight(cls):
        cls._setup_freight()
        cls.Kpi = cls.env["logistics.sync.kpi"]
        cls.company.partner_id.tz = "UTC"
        cls.clerk = new_test_user(
            cls.env,
            login="ls_mon_freight_clerk",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )

    def _search(self, field, pickings):
        return (
            self.env["stock.picking"]
            .with_user(self.clerk)
            .search([(field, "=", True), ("id", "in", pickings.ids)])
        )
