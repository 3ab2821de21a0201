# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_confirm(self, merge=True, merge_into=False):
        moves = super()._action_confirm(merge=merge, merge_into=merge_into)
        pickings = moves.picking_id
        released = pickings.sudo().tpl_release_id
        pickings._tpl_release()
        # a transfer released before (a move added to it): a new version
        released._tpl_touch()
        return moves

    def write(self, vals):
        res = super().write(vals)
        if (
            {"product_uom_qty", "product_id", "state"}.intersection(vals)
            and not self.env.context.get("tpl_no_touch")
            and (vals.keys() != {"state"} or vals.get("state") == "cancel")
        ):
            self.picking_id.sudo().tpl_release_id._tpl_touch()
        return res
