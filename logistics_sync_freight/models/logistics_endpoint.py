# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

import psycopg2
from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

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
    file_format = fields.Selection(
        selection_add=[("freight_csv", "Carrier invoices (CSV)")],
        ondelete={"freight_csv": "set default"},
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

    def _file_handle(self, file):
        """A carrier invoice file received on the endpoint's file channel (format
        ``freight_csv``): imported as one batch, accepted whole or refused whole. A
        refused batch is kept with its errors and the file fails (moved to the
        channel's ``failed/``); an accepted or skipped one is what the file produced."""
        if self.file_format != "freight_csv":
            return super()._file_handle(file)
        Batch = self.env["logistics.freight.batch"]
        data = file._file_data()
        try:
            with self.env.cr.savepoint():
                batch = Batch._freight_import(self, file.name, data)
        except (UserError, ValueError, psycopg2.DataError, psycopg2.IntegrityError) as error:
            # refused whole (the batch says why) rather than failing the job
            batch = Batch._freight_refuse(self, file.name, f"{file.name}: {error}", file.sha256)
        _logger.info(
            "Carrier invoice file %s: %s (%s lines)", file.name, batch.state, batch.line_count
        )
        if batch.state == "refused":
            file._file_fail(batch.errors)
        return batch
