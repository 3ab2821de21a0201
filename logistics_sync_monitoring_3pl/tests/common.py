# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import new_test_user

from odoo.addons.logistics_sync_monitoring.tests.common import MonitoringCommon


class Monitoring3plCommon(MonitoringCommon):
    @classmethod
    def _setup_monitoring_3pl(cls):
        cls._setup_monitoring()
        cls.clerk = new_test_user(
            cls.env,
            login="ls_mon_3pl_clerk",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )
        cls.lyon = cls.env["stock.warehouse"].create(
            {"name": "3PL Lyon", "code": "MLYO", "tpl_endpoint_id": cls.endpoint.id}
        )
        cls.lille = cls.env["stock.warehouse"].create(
            {"name": "3PL Lille", "code": "MLIL", "tpl_endpoint_id": cls.endpoint.id}
        )

    def _snapshot(self, warehouse, taken_at, compared, matching):
        """A reconciliation's figures, as logistics_sync_3pl stores them."""
        return (
            self.env["logistics.tpl.snapshot"]
            .sudo()
            .create(
                {
                    "name": f"SNAP-{warehouse.code}-{taken_at}",
                    "endpoint_id": self.endpoint.id,
                    "warehouse_id": warehouse.id,
                    "taken_at": taken_at,
                    "line_count": compared,
                    "matched_count": matching,
                    "accuracy": 100.0 * matching / compared,
                }
            )
        )
