# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    mon_no_freight_charge = fields.Boolean(
        string="Done without freight charge",
        compute="_compute_mon_checks",
        search="_search_mon_no_freight_charge",
        help="A delivery with a carrier, done longer ago than the freight limit, and no "
        "freight charge of a carrier invoice for it yet.",
    )

    def _search_mon_no_freight_charge(self, operator, value):
        return self._mon_check_search("no_freight_charge", operator, value)

    def _mon_domains(self):
        """Deliveries with a carrier done more than ``freight_days`` ago that no
        freight charge names."""
        domains = super()._mon_domains()
        charged = (
            self.env["logistics.freight.charge"]
            .sudo()  # the check is on the transfer; a stock user reads no freight charge
            ._search([("picking_id", "!=", False)])
        )
        since = fields.Datetime.now() - timedelta(days=self._mon_param("freight_days"))
        domains["no_freight_charge"] = [
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "done"),
            ("carrier_id", "!=", False),
            ("date_done", "<", since),
            ("id", "not in", charged.subselect("picking_id")),
        ]
        return domains

    def _mon_extra_hops(self):
        """The vendor bills of the transfer's freight charges."""
        hops = super()._mon_extra_hops()
        charges = (
            self.env["logistics.freight.charge"]
            .sudo()  # the trace shows the bill's number to Logistics Sync users
            .search([("picking_id", "=", self.id), ("move_id", "!=", False)])
        )
        for move in charges.move_id:
            hops.append((move.create_date, self.env._("Freight charge billed (%s)", move.name)))
        return hops
