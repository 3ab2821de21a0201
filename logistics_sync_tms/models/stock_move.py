# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

WATCHED = frozenset({"product_uom_qty", "date_deadline", "product_id"})


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_assign(self, force_qty=False):
        res = super()._action_assign(force_qty=force_qty)
        # trigger "ready": the transfer's goods are reserved
        self.picking_id._tms_on_ready()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        if not self.env.context.get("tms_no_touch"):
            moves.picking_id.sudo().tms_release_id._tms_touch()
        return moves

    def write(self, vals):
        res = super().write(vals)
        if WATCHED.intersection(vals) and not self.env.context.get("tms_no_touch"):
            self.picking_id.sudo().tms_release_id._tms_touch()
        return res
