# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import time

from odoo import api, fields, models

from ..lib import import_file, invoice_csv

MAX_BYTES_PARAM = "logistics_sync_freight.import_max_bytes"
MIN_AGE_PARAM = "logistics_sync_freight.import_min_age_seconds"
DEFAULT_MAX_BYTES = 50_000_000
DEFAULT_MIN_AGE = 60


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
        help="The carrier endpoint whose folder held the file.",
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
        "the same file (same SHA-256) was imported or refused before.",
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

    @api.model
    def _freight_import_limits(self):
        """(largest file in bytes, seconds a file must be left unmodified), from the
        system parameters."""
        params = self.env["ir.config_parameter"].sudo()  # system settings, read only
        return (
            int(params.get_param(MAX_BYTES_PARAM, DEFAULT_MAX_BYTES)),
            int(params.get_param(MIN_AGE_PARAM, DEFAULT_MIN_AGE)),
        )

    @api.model
    def _cron_import_files(self):
        """Queue one import job per carrier invoice file waiting in an endpoint's
        folder, on the endpoint's channel (a file whose job is still pending or
        running is not queued twice; a file modified in the last seconds, still
        being uploaded, waits for the next run). Every job moves its file away
        (``processed/`` or ``failed/``), so a file is queued until imported once,
        never again. Returns the number of jobs queued."""
        # sudo: the folder is a system setting; the cron reads it, users never do
        endpoints = (
            self.env["logistics.endpoint"].sudo().search([("freight_import_folder", "!=", False)])
        )
        _max_bytes, min_age = self._freight_import_limits()
        queued = 0

        def queue(endpoint):
            nonlocal queued
            for name in import_file.waiting_files(
                endpoint.freight_import_folder, min_age, time.time()
            ):
                endpoint.with_delay(
                    channel=endpoint.channel_name,
                    identity_key=f"logistics_sync-freight-file-{endpoint.id}-{name}",
                    description=f"Logistics Sync: import carrier invoice file {name}",
                )._job_import_freight_file(name)
                queued += 1

        # endpoint by endpoint: an unreadable folder never stops the others
        endpoints._cron_each("freight_import", self.env._("Import carrier invoice files"), queue)
        self.env["ir.cron"]._notify_progress(done=queued, remaining=0)
        return queued
