# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    freight_partner_id = fields.Many2one(
        "res.partner",
        string="Carrier (vendor)",
        check_company=True,
        help="The vendor of the carrier invoices this endpoint sends: their charges "
        "are billed to it.",
    )
    freight_import_folder = fields.Char(
        string="Carrier invoice folder",
        groups="base.group_system",
        copy=False,
        help="A folder on the Odoo server where this carrier's invoice files (CSV) are "
        "dropped; a cron imports them and moves each into its 'processed' subfolder.",
    )

    def _freight_partner(self):
        self.ensure_one()
        if not self.freight_partner_id:
            raise UserError(
                self.env._(
                    "Endpoint %(name)s has no carrier vendor for its invoices.", name=self.name
                )
            )
        return self.freight_partner_id
