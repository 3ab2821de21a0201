# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsTplInboundAsnLine(models.Model):
    _name = "logistics.tpl.inbound.asn.line"
    _description = "Logistics Sync supplier advance ship notice line"
    _order = "asn_id, id"

    asn_id = fields.Many2one(
        "logistics.tpl.inbound.asn",
        string="Notice",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    picking_id = fields.Many2one(
        related="asn_id.picking_id", string="Receipt", store=True, index=True
    )
    company_id = fields.Many2one(related="asn_id.company_id", store=True)
    product_id = fields.Many2one("product.product", string="Product", readonly=True)
    quantity = fields.Float(string="Quantity", digits="Product Unit of Measure", readonly=True)
    lot_name = fields.Char(
        string="Lot/Serial number",
        readonly=True,
        help="Empty for a tracked product: the number is entered at reception.",
    )
    expiry_date = fields.Date(string="Expiry date", readonly=True)
    sscc = fields.Char(
        string="Package (SSCC)", readonly=True, help="The SSCC-18 of the package it arrives in."
    )
