# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        res = super().write(vals)
        if "weight" in vals or "volume" in vals:
            self._tms_release_blocked()
        return res

    def _tms_release_blocked(self):
        """A weight fixed: blocked releases of these products are tried again."""
        blocked = (
            self.env["logistics.tms.release"]
            .sudo()
            .search(
                [
                    ("state", "=", "blocked"),
                    ("picking_id.move_ids.product_id", "in", self.ids),
                ]
            )
        )
        blocked._tms_touch()
