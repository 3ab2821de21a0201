# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..lib import invoice_csv


class LogisticsFreightBatch(models.Model):
    """One carrier invoice file, accepted whole, refused whole or skipped (seen before)."""

    _name = "logistics.freight.batch"
    _description = "Logistics Sync Freight Import Batch"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File name", required=True, readonly=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        required=True,
        readonly=True,
        check_company=True,
        index=True,
        string="Endpoint",
        help="The carrier endpoint that received the file.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, string="Company"
    )
    file_hash = fields.Char(string="SHA-256", required=True, readonly=True, index=True)
    state = fields.Selection(
        [("accepted", "Accepted"), ("refused", "Refused"), ("skipped", "Skipped (seen before)")],
        required=True,
        readonly=True,
        index=True,
        string="Status",
        help="Accepted: every line imported. Refused: nothing imported, see the errors. Skipped: "
        "the same file (same SHA-256) was imported before.",
    )
    line_count = fields.Integer(string="Lines", readonly=True)
    invoice_count = fields.Integer(string="Carrier invoices", readonly=True)
    error_count = fields.Integer(string="Error count", readonly=True)
    errors = fields.Text(
        readonly=True, help="One error a line: line, column, message.", string="Errors"
    )
    duplicate_of_id = fields.Many2one(
        "logistics.freight.batch", string="Same file as", readonly=True
    )
    invoice_ids = fields.One2many("logistics.freight.invoice", "batch_id", string="Invoices")

    @api.model
    def _freight_import(self, endpoint, filename, data):
        """Import one carrier invoice file of ``endpoint``; returns its batch record.

        Refused whole on any error (nothing but the batch is stored), skipped when
        the same bytes were imported before (a refused file may be processed again
        once what refused it is fixed)."""
        digest = invoice_csv.file_hash(data)
        seen = self.search(
            [
                ("endpoint_id", "=", endpoint.id),
                ("file_hash", "=", digest),
                ("state", "=", "accepted"),
            ],
            limit=1,
        )
        base = {
            "name": filename,
            "endpoint_id": endpoint.id,
            "company_id": endpoint.company_id.id,
            "file_hash": digest,
        }
        if seen:
            return self.create({**base, "state": "skipped", "duplicate_of_id": seen.id})
        types = set(self.env["logistics.freight.charge.type"].search([]).mapped("code"))
        currencies = set(self.env["res.currency"].search([]).mapped("name"))
        invoices, count, errors = invoice_csv.parse(data, types, currencies)
        if not errors:
            known = self.env["logistics.freight.invoice"]._freight_known_numbers(endpoint, invoices)
            for number in sorted(known):
                errors.extend(
                    {
                        "line": line["line"],
                        "column": "invoice_number",
                        "message": f"carrier invoice {number} was already received",
                    }
                    for line in invoices[number]["lines"]
                )
        if errors:
            errors.sort(key=lambda e: e["line"])
            return self.create(
                {
                    **base,
                    "state": "refused",
                    "line_count": count,
                    "error_count": len(errors),
                    "errors": "\n".join(
                        f"line {e['line']}, {e['column'] or '-'}: {e['message']}" for e in errors
                    ),
                }
            )
        batch = self.create(
            {**base, "state": "accepted", "line_count": count, "invoice_count": len(invoices)}
        )
        self.env["logistics.freight.invoice"]._freight_receive(endpoint, invoices, batch=batch)
        return batch

    def _freight_errors(self):
        """The errors as a list of strings (for tests and the API)."""
        self.ensure_one()
        return (self.errors or "").splitlines()

    @api.model
    def _freight_refuse(self, endpoint, filename, reason, digest=None):
        """A refused batch for a file that could not be imported at all."""
        return self.create(
            {
                "name": filename,
                "endpoint_id": endpoint.id,
                "company_id": endpoint.company_id.id,
                "file_hash": digest or "-",
                "state": "refused",
                "error_count": 1,
                "errors": reason,
            }
        )
