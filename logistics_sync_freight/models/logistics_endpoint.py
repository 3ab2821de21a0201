# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import os

from odoo import fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


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

    def _job_import_freight_file(self, name):
        """Import one carrier invoice file of this endpoint's folder; it moves to the
        folder's ``processed/`` (named after its batch) once the batch is committed,
        whatever its outcome (accepted, refused, skipped)."""
        self.ensure_one()
        folder = self.sudo().freight_import_folder  # a system setting, read by the job only
        path = os.path.join(folder or "", name)
        if not folder or os.path.dirname(os.path.abspath(path)) != os.path.abspath(folder):
            return f"{name}: not a file of the endpoint's folder"
        if not os.path.isfile(path):
            return f"{name}: gone (imported already)"
        with open(path, "rb") as handle:
            data = handle.read()
        batch = self.env["logistics.freight.batch"]._freight_import(self, name, data)
        done = os.path.join(folder, "processed")
        os.makedirs(done, exist_ok=True)
        target = os.path.join(done, f"{batch.id}-{name}")
        self.env.cr.postcommit.add(lambda: os.replace(path, target))
        _logger.info("Carrier invoice file %s: %s (%s lines)", name, batch.state, batch.line_count)
        return f"{name}: {batch.state}, {batch.line_count} lines, {batch.error_count} errors"
