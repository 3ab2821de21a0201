# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""X12 files on the endpoint's file channel (base): received files become exchanges;
an outbound exchange follows the upload of its file."""

from odoo import fields, models


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    file_format = fields.Selection(
        selection_add=[("x12", "X12"), ("edifact", "EDIFACT")],
        ondelete={"x12": "set default", "edifact": "set default"},
    )

    def _file_handle(self, file):
        """An X12 file: one exchange per interchange, each checked, applied and
        answered (997/TA1 through ``_file_send``). The file fails (moves to failed/)
        when an exchange is in error; the exchanges keep the reasons, and *Reprocess*
        on the exchange reads it again.  A failed file processed again (Files,
        *Process again*) reprocesses the exchanges it made, never makes new ones
        (they would be duplicates of themselves)."""
        if self.file_format != "x12":
            return super()._file_handle(file)
        self.ensure_one()
        exchanges = self.env["logistics.edi.exchange"]._edi_reprocess_file(file)
        if exchanges is None:
            exchanges = self.env["logistics.edi.exchange"]._edi_receive(
                self, file._file_data(), file.name, file_id=file.id
            )
        failed = exchanges.filtered(lambda exchange: exchange.state == "error")
        if failed:
            file._file_fail(
                "\n".join(
                    f"{exchange.name}: {exchange.error_summary or ''}".strip()
                    for exchange in failed
                )
            )
        return exchanges[:1]


class LogisticsFile(models.Model):
    _inherit = "logistics.file"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("sent", "failed"):
            outbound = self.filtered(lambda file: file.direction == "out")
            if outbound:
                # sudo: the pipeline's bookkeeping (the upload job runs as the user
                # who caused the document)
                exchanges = (
                    self.env["logistics.edi.exchange"]
                    .sudo()
                    .search([("file_id", "in", outbound.ids), ("direction", "=", "out")])
                )
                for exchange in exchanges:
                    exchange._edi_file_done(exchange.file_id)
        return result
