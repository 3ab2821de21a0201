# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""X12 files on the endpoint's file channel (base): received files become exchanges."""

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
        on the exchange reads it again (the file itself would be a duplicate)."""
        if self.file_format != "x12":
            return super()._file_handle(file)
        self.ensure_one()
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
