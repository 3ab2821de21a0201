# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsTmsRoute(models.Model):
    """A routing rule: which transfers a TMS endpoint receives.  The first rule (by
    sequence) whose every set criterion matches a transfer chooses its endpoint;
    an empty criterion matches anything."""

    _name = "logistics.tms.route"
    _description = "Logistics Sync TMS routing rule"
    _order = "sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        required=True,
        ondelete="cascade",
        domain=[("kind", "=", "tms")],
        check_company=True,
        index=True,
    )
    company_id = fields.Many2one(related="endpoint_id.company_id", store=True)
    warehouse_id = fields.Many2one("stock.warehouse", string="Warehouse", check_company=True)
    picking_type_id = fields.Many2one(
        "stock.picking.type", string="Operation type", check_company=True
    )
    carrier_name = fields.Char(
        string="Carrier",
        help="Matches transfers whose delivery method has this name (when the Delivery "
        "app is installed); empty: any.",
    )
    country_ids = fields.Many2many("res.country", string="Destination countries")
    min_weight = fields.Float(string="Min weight (kg)")
    max_weight = fields.Float(string="Max weight (kg)", help="0: no upper limit.")

    def _matches(self, picking, weight):
        self.ensure_one()
        if self.warehouse_id and picking.picking_type_id.warehouse_id != self.warehouse_id:
            return False
        if self.picking_type_id and picking.picking_type_id != self.picking_type_id:
            return False
        if self.carrier_name:
            carrier = picking["carrier_id"].name if "carrier_id" in picking._fields else ""
            if (carrier or "").strip().lower() != self.carrier_name.strip().lower():
                return False
        if self.country_ids and picking.partner_id.country_id not in self.country_ids:
            return False
        if self.min_weight and weight < self.min_weight:
            return False
        return not (self.max_weight and weight > self.max_weight)

    @api.model
    def _route(self, pickings):
        """``{picking: endpoint}`` for the outgoing transfers a rule sends to a TMS."""
        outgoing = pickings.filtered(lambda p: p.picking_type_code == "outgoing")
        if not outgoing:
            return {}
        rules = self.search(
            [("endpoint_id.active", "=", True), ("company_id", "in", outgoing.company_id.ids)]
        )
        result = {}
        for picking in outgoing:
            weight = sum(m.product_id.weight * m.product_uom_qty for m in picking.move_ids)
            for rule in rules:
                if rule.company_id == picking.company_id and rule._matches(picking, weight):
                    result[picking] = rule.endpoint_id
                    break
        return result
