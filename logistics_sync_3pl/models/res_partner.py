# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    tpl_requires_asn = fields.Boolean(
        string="Requires ASN",
        help="When a delivery to this customer is done, an advance ship notice goes to its "
        "ASN endpoint.",
    )
    tpl_asn_endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="ASN endpoint",
        help="The partner's system (an EDI gateway endpoint): a customer's receives the "
        "notices of its deliveries; a supplier's sends the notices of its shipments to us "
        "(tpl_inbound_asn events signed with that endpoint's secret).",
    )
