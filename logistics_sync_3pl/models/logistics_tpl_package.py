# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsTplPackage(models.Model):
    _name = "logistics.tpl.package"
    _description = "Logistics Sync package shipped by a 3PL"
    _order = "id"

    release_id = fields.Many2one(
        "logistics.tpl.release", string="3PL document", required=True, ondelete="cascade"
    )
    picking_id = fields.Many2one(related="release_id.picking_id", store=True, string="Transfer")
    company_id = fields.Many2one(related="release_id.company_id", store=True)
    sscc = fields.Char(string="SSCC", required=True, index=True)
    weight = fields.Float(string="Weight (kg)")
    tracking_ref = fields.Char(string="Tracking number")
    carrier = fields.Char(string="Carrier", help="The carrier code the 3PL gave.")
    package_id = fields.Many2one("stock.quant.package", string="Package", ondelete="set null")
