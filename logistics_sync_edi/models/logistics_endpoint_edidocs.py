# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the business documents need of a partner: does it speak X12 or EDIFACT (its
file format), its EDIFACT party ids, its carrier code; EDIFACT files received
(IFTSTA) handed to the exchanges."""

from odoo import fields, models


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    edi_edifact_id_own = fields.Char(
        string="Our EDIFACT ID",
        help="UNB sender identification of what we send (a GLN, qualifier 14), "
        "recipient of what we receive.",
    )
    edi_edifact_id_partner = fields.Char(
        string="Partner's EDIFACT ID",
        help="UNB sender identification of what the partner sends (another sender is "
        "refused), recipient of what we send.",
    )

    def _edi_standard(self):
        """``x12``, ``edifact`` or None: the documents this endpoint exchanges as files."""
        self.ensure_one()
        file_format = self.sudo().file_format
        return file_format if file_format in ("x12", "edifact") else None

    def _edi_speaks(self, standard):
        return self._edi_standard() == standard

    def _edi_scac(self):
        """The partner's carrier code (SCAC) when its ISA ID is one (qualifier 02)."""
        self.ensure_one()
        endpoint = self.sudo()
        return endpoint.edi_isa_id_partner if endpoint.edi_isa_qualifier_partner == "02" else None

    def _file_handle(self, file):
        """An EDIFACT file: one exchange, checked and applied; the file fails (moves
        to failed/) when the exchange is in error, as an X12 file does."""
        if not self._edi_speaks("edifact"):
            return super()._file_handle(file)
        self.ensure_one()
        # processed again from Files: the exchange it made is reprocessed
        exchange = self.env["logistics.edi.exchange"]._edi_reprocess_file(file)
        if exchange is None:
            exchange = self.env["logistics.edi.exchange"]._edi_receive_edifact(
                self, file._file_data(), file_name=file.name, file_id=file.id
            )
        exchange = exchange.filtered(lambda e: e.state == "error")[:1] or exchange[:1]
        if exchange.state == "error":
            file._file_fail(f"{exchange.name}: {exchange.error_summary or ''}".strip())
        return exchange
