# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import os

import psycopg2
from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib import import_file, invoice_csv

_logger = logging.getLogger(__name__)


class LogisticsEndpoint(models.Model):
    _name = "logistics.endpoint"
    _inherit = ["logistics.endpoint", "mail.activity.mixin"]

    freight_partner_id = fields.Many2one(
        "res.partner",
        string="Carrier (vendor)",
        check_company=True,
        help="The vendor of the carrier invoices this endpoint sends: their charges "
        "are billed to it.",
    )
    freight_journal_id = fields.Many2one(
        "account.journal",
        string="Freight bills journal",
        check_company=True,
        domain=[("type", "=", "purchase")],
        help="The purchase journal of this carrier's vendor bills; empty: the company's "
        "freight bills journal (Accounting settings).",
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

    def _freight_journal(self):
        """The purchase journal of this endpoint's bills: its own, else its company's
        (an empty recordset when neither is set: never a guess)."""
        self.ensure_one()
        return self.freight_journal_id or self.company_id.logistics_freight_journal_id

    def _freight_settle_failed(self, message):
        """Why this endpoint's charges could not be billed: an activity for its
        responsible (else the administrator), once while it is open; the other
        groups and companies are settled meanwhile."""
        self.ensure_one()
        _logger.info("Freight settlement of endpoint %s: %s", self.id, message)
        user = self.responsible_user_id or self.env.ref("base.user_admin")
        summary = self.env._("Freight charges cannot be billed")
        Activity = self.env["mail.activity"].sudo()  # the settlement's alert, not a user's
        if Activity.search_count(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("summary", "=", summary),
                ("note", "=", Markup("<p>%s</p>") % message),
            ]
        ):
            return
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=Markup("<p>%s</p>") % message,
            user_id=user.id,
        )

    def _job_import_freight_file(self, name):
        """Import one carrier invoice file of this endpoint's folder. Once the batch
        is committed the file moves to the folder's ``processed/`` (accepted or
        skipped) or ``failed/`` (refused: lines in error, not a regular file, a
        symbolic link, larger than the limit, unreadable), named after its batch:
        whatever happens, it is not imported twice nor queued again."""
        self.ensure_one()
        folder = self.sudo().freight_import_folder  # a system setting, read by the job only
        path = os.path.join(folder or "", name)
        if not folder or os.path.dirname(os.path.abspath(path)) != os.path.abspath(folder):
            return f"{name}: not a file of the endpoint's folder"
        if not os.path.lexists(path):
            return f"{name}: gone (imported already)"
        Batch = self.env["logistics.freight.batch"]
        max_bytes, _min_age = Batch._freight_import_limits()
        try:
            data = import_file.read_regular_file(path, max_bytes)
        except import_file.ImportFileError as error:
            batch = Batch._freight_refuse(self, name, f"{name}: {error}")
        else:
            try:
                with self.env.cr.savepoint():
                    batch = Batch._freight_import(self, name, data)
            except (UserError, ValueError, psycopg2.DataError, psycopg2.IntegrityError) as error:
                # refused whole and moved aside rather than failing the job: a failed
                # job would leave the file to be queued again at every run
                batch = Batch._freight_refuse(
                    self, name, f"{name}: {error}", invoice_csv.file_hash(data)
                )
        target = os.path.join(folder, "failed" if batch.state == "refused" else "processed")
        os.makedirs(target, exist_ok=True)
        moved = os.path.join(target, f"{batch.id}-{name}")
        self.env.cr.postcommit.add(lambda: os.replace(path, moved))
        _logger.info("Carrier invoice file %s: %s (%s lines)", name, batch.state, batch.line_count)
        return f"{name}: {batch.state}, {batch.line_count} lines, {batch.error_count} errors"
