# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One line of a reconciliation where Odoo and the 3PL disagree.

An Inventory / Administrator applies it (an inventory adjustment of the
difference at the warehouse's stock location, through Odoo's own quant
inventory mode) or dismisses it with a reason.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class LogisticsTplDiscrepancy(models.Model):
    _name = "logistics.tpl.discrepancy"
    _description = "Logistics Sync 3PL stock discrepancy"
    _order = "snapshot_id desc, abs_value desc, id"
    _check_company_auto = True

    snapshot_id = fields.Many2one(
        "logistics.tpl.snapshot", string="Snapshot", required=True, ondelete="cascade", index=True
    )
    warehouse_id = fields.Many2one(related="snapshot_id.warehouse_id", store=True)
    company_id = fields.Many2one(related="snapshot_id.company_id", store=True, index=True)
    sku = fields.Char(string="SKU", readonly=True, help="The product's reference at the 3PL.")
    product_id = fields.Many2one("product.product", string="Product", readonly=True)
    lot_name = fields.Char(string="Lot / serial (3PL)", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot / serial", readonly=True)
    odoo_qty = fields.Float(string="Odoo", readonly=True, digits="Product Unit of Measure")
    tpl_qty = fields.Float(string="3PL", readonly=True, digits="Product Unit of Measure")
    difference = fields.Float(
        string="Difference",
        compute="_compute_difference",
        store=True,
        digits="Product Unit of Measure",
        help="3PL minus Odoo: what an adjustment adds to Odoo's stock.",
    )
    value = fields.Float(string="Value", readonly=True, help="Difference at the product's cost.")
    abs_value = fields.Float(compute="_compute_difference", store=True)
    state = fields.Selection(
        [("open", "Open"), ("applied", "Applied"), ("dismissed", "Dismissed")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    dismiss_reason = fields.Text(string="Dismissed because", readonly=True)
    done_by_id = fields.Many2one("res.users", string="Decided by", readonly=True)

    @api.depends("tpl_qty", "odoo_qty", "value")
    def _compute_difference(self):
        for line in self:
            line.difference = line.tpl_qty - line.odoo_qty
            line.abs_value = abs(line.value)

    def _check_manager(self):
        if not self.env.user.has_group("stock.group_stock_manager"):
            raise AccessError(
                self.env._("Only an Inventory / Administrator may apply or dismiss discrepancies.")
            )
        if any(line.state != "open" for line in self):
            raise UserError(self.env._("Only open discrepancies can be applied or dismissed."))

    def action_apply(self):
        """One click: an inventory adjustment of each difference (Odoo's own flow)."""
        self._check_manager()
        if any(not line.product_id for line in self):
            raise UserError(
                self.env._(
                    "Discrepancies of a SKU Odoo does not know cannot be applied: %(skus)s",
                    skus=", ".join(self.filtered(lambda d: not d.product_id).mapped("sku")),
                )
            )
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        Lot = self.env["stock.lot"]
        for line in self:
            location = line.warehouse_id.lot_stock_id
            lot = line.lot_id
            if line.lot_name and not lot:
                lot = Lot.create(
                    {
                        "name": line.lot_name,
                        "product_id": line.product_id.id,
                        "company_id": line.company_id.id,
                    }
                )
            quant = Quant._gather(line.product_id, location, lot_id=lot, strict=True)[:1]
            current = quant.quantity if quant else 0.0
            quant = Quant.create(
                {
                    "product_id": line.product_id.id,
                    "location_id": location.id,
                    "lot_id": lot.id or False,
                    "inventory_quantity": current + line.difference,
                }
            )
            quant.with_context(
                inventory_name=self.env._("3PL reconciliation %(s)s", s=line.snapshot_id.name)
            ).action_apply_inventory()
            line.write(
                {
                    "state": "applied",
                    "lot_id": lot.id or False,
                    "done_by_id": self.env.uid,
                }
            )
        return True

    def action_dismiss(self):
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.tpl.discrepancy.dismiss",
            "view_mode": "form",
            "target": "new",
            "context": {"default_discrepancy_ids": self.ids},
        }

    def _dismiss(self, reason):
        self._check_manager()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the discrepancy is dismissed."))
        self.write({"state": "dismissed", "dismiss_reason": reason, "done_by_id": self.env.uid})
