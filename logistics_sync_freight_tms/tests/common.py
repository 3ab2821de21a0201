# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.addons.logistics_sync_freight.tests.common import FreightCommon


class FreightTmsCommon(FreightCommon):
    def _planned(self, load, cost):
        """A done transfer whose TMS release is planned on ``load`` at ``cost`` (the
        TMS's planned cost, or None), as logistics_sync_tms stores a planned answer
        (its tests/test_release.py)."""
        picking = self._done_picking(None)
        self.env["logistics.tms.release"].create(
            {
                "name": f"REL-{picking.name}",
                "picking_id": picking.id,
                "endpoint_id": self.endpoint.id,
                "state": "planned",
                "load_ref": load,
                "planned_cost": json.dumps(cost) if cost else False,
            }
        )
        return picking
