# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import os

from odoo import api, fields, models

from ..lib import invoice_csv

_logger = logging.getLogger(__name__)


class LogisticsFreightBatch(models.Model):
    """One carrier invoice file, accepted whole, refused whole or skipped (seen before)."""

    _name = "logistics.freight.batch"
    _description = "Logistics Sync Freight Import Batch"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File name", required=True, readonly=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, readonly=True, check_company=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    file_hash = fields.Char(string="SHA-256", required=True, readonly=True, index=True)
    state = fields.Selection(
        [("accepted", "Accepted"), ("refused", "Refused"), ("skipped", "Skipped (seen before)")],
        required=True,
        readonly=True,
        index=True,
    )
    line_count = fields.Integer(string="Lines", readonly=True)
    invoice_count = fields.Integer(string="Carrier invoices", readonly=True)
    error_count = fields.Integer(string="Error count", readonly=True)
    errors = fields.Text(readonly=True, help="One error a line: line, column, message.")
    duplicate_of_id = fields.Many2one(
        "logistics.freight.batch", string="Same file as", readonly=True
    )
    invoice_ids = fields.One2many("logistics.freight.invoice", "batch_id", string="Invoices")

    @api.model
    def _freight_import(self, endpoint, filename, data):
        """Import one carrier invoice file of ``endpoint``; returns its batch record.

        Refused whole on any error (nothing but the batch is stored), skipped when
        the same bytes were imported or refused before."""
        digest = invoice_csv.file_hash(data)
        seen = self.search(
            [
                ("endpoint_id", "=", endpoint.id),
                ("file_hash", "=", digest),
                ("state", "!=", "skipped"),
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
    def _cron_import_files(self):
        """Import the files waiting in each endpoint's folder, one file per batch
        of the cron (``_notify_progress``): a file is moved to ``processed/``
        in the transaction that records its batch's outcome."""
        # sudo: the folder is a system setting; the cron reads it, users never do
        endpoints = (
            self.env["logistics.endpoint"].sudo().search([("freight_import_folder", "!=", False)])
        )
        pending = []
        for endpoint in endpoints:
            folder = endpoint.freight_import_folder
            if not os.path.isdir(folder):
                continue
            pending.extend(
                (endpoint, folder, name)
                for name in sorted(os.listdir(folder))
                if name.lower().endswith(".csv") and os.path.isfile(os.path.join(folder, name))
            )
        if not pending:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return self.browse()
        endpoint, folder, name = pending[0]
        path = os.path.join(folder, name)
        with open(path, "rb") as handle:
            data = handle.read()
        batch = self._freight_import(endpoint, name, data)
        done = os.path.join(folder, "processed")
        os.makedirs(done, exist_ok=True)
        target = os.path.join(done, f"{batch.id}-{name}")
        self.env.cr.postcommit.add(lambda: os.replace(path, target))
        self.env.flush_all()
        _logger.info("Carrier invoice file %s: %s (%s lines)", name, batch.state, batch.line_count)
        self.env["ir.cron"]._notify_progress(done=1, remaining=len(pending) - 1)
        return batch
