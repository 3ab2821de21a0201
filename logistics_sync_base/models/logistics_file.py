# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One file an endpoint received or sent (file channels, see logistics_endpoint_file.py).

Inbound: received -> processed | failed | duplicate (same SHA-256 as an earlier file of
the endpoint: not handed on). Outbound: pending -> sent | failed. The raw bytes are an
attachment of the record; ``res_model``/``res_id`` name what the file produced (in) or
came from (out). States move only through the channel's methods and jobs.
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

IN_STATES = ("received", "processed", "failed", "duplicate")
OUT_STATES = ("pending", "sent", "failed")


class LogisticsFile(models.Model):
    _name = "logistics.file"
    _description = "Logistics Sync File"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "name"

    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Endpoint",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True, string="Company"
    )
    direction = fields.Selection(
        [("in", "Received"), ("out", "Sent")],
        string="Direction",
        required=True,
        readonly=True,
        index=True,
    )
    name = fields.Char(string="File name", required=True, readonly=True)
    sha256 = fields.Char(
        string="SHA-256",
        readonly=True,
        index=True,
        help="Hash of the content: an inbound file whose hash the endpoint received "
        "before is a duplicate, and not handed on.",
    )
    size = fields.Integer(string="Size (bytes)", readonly=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("processed", "Processed"),
            ("duplicate", "Duplicate"),
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("failed", "Failed"),
        ],
        string="Status",
        required=True,
        readonly=True,
        index=True,
        help="Received: downloaded, being processed. Processed: handed on. Duplicate: the "
        "same content was received before (not handed on). Pending: waiting for its upload. "
        "Sent: uploaded and renamed into place. Failed: see the error.",
    )
    error = fields.Text(string="Error", readonly=True)
    attempts = fields.Integer(
        string="Attempts", readonly=True, help="Upload tries of an outbound file."
    )
    attachment_id = fields.Many2one(
        "ir.attachment", string="Raw file", readonly=True, ondelete="set null"
    )
    raw_file = fields.Binary(
        string="Raw file content", related="attachment_id.datas", readonly=True
    )
    res_model = fields.Char(
        string="Document model",
        readonly=True,
        help="The model of what the file produced (received) or came from (sent).",
    )
    res_id = fields.Many2oneReference(string="Document id", model_field="res_model", readonly=True)
    remote_path = fields.Char(
        string="Where on the server",
        readonly=True,
        help="Inbound: where the file is now, relative to the endpoint's inbound path "
        "(processed/..., failed/...). Outbound: its name in the outbound path.",
    )
    moved = fields.Boolean(
        string="Moved on the server",
        readonly=True,
        help="Inbound: the file left the inbox (moved to processed/ or failed/).",
    )
    duplicate_of_id = fields.Many2one(
        "logistics.file", string="Same content as", readonly=True, index="btree_not_null"
    )
    date_done = fields.Datetime(string="Done on", readonly=True)

    _sql_constraints = [
        (
            "state_direction",
            "CHECK((direction = 'in' AND state IN ('received', 'processed', 'failed', "
            "'duplicate')) OR (direction = 'out' AND state IN ('pending', 'sent', 'failed')))",
            "The state of a file must fit its direction.",
        ),
    ]

    @api.depends("name", "direction")
    def _compute_display_name(self):
        for file in self:
            arrow = "\u2190" if file.direction == "in" else "\u2192"
            file.display_name = f"{arrow} {file.name}"

    # ------------------------------------------------------------- helpers
    def _file_data(self):
        """The raw bytes of this file (its attachment)."""
        self.ensure_one()
        # sudo: the pipeline reads its own attachment, whoever runs the job
        return self.sudo().attachment_id.raw or b""

    def _file_attach(self, data):
        self.ensure_one()
        # sudo: the pipeline's bookkeeping, whoever received or sent the file
        self.sudo().attachment_id = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.name,
                    "raw": data,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/octet-stream",
                }
            )
        )

    def _file_fail(self, message):
        """Mark this file failed with ``message`` (a handler that keeps its own
        record of a refusal calls it instead of raising)."""
        # sudo: the pipeline's bookkeeping, whoever handles the file
        self.sudo().write({"state": "failed", "error": message, "date_done": fields.Datetime.now()})

    def _file_produced(self, record):
        """Link this file to the record it produced or came from."""
        if record:
            record.ensure_one()
            # sudo: the pipeline's bookkeeping
            self.sudo().write({"res_model": record._name, "res_id": record.id})

    def _check_manager(self):
        if not self.env.user.has_group("logistics_sync_base.group_logistics_sync_manager"):
            raise AccessError(
                self.env._("Only Logistics Sync managers can process or send files again.")
            )

    # ------------------------------------------------------------- actions
    def action_open_document(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }

    def action_process_again(self):
        """Hand a failed received file on again (its stored bytes, no download)."""
        self._check_manager()
        for file in self:
            if file.direction != "in" or file.state != "failed":
                raise UserError(
                    self.env._(
                        "File %(name)s: only a failed received file can be processed again.",
                        name=file.name,
                    )
                )
            file.endpoint_id._file_process(file, file._file_data())
        return True

    def action_send_again(self):
        """Queue the upload of a failed outbound file again."""
        self._check_manager()
        for file in self:
            if file.direction != "out" or file.state != "failed":
                raise UserError(
                    self.env._(
                        "File %(name)s: only a failed outbound file can be sent again.",
                        name=file.name,
                    )
                )
            # sudo: the pipeline's bookkeeping
            file.sudo().write({"state": "pending", "error": False, "attempts": 0})
            file._file_queue_upload()
        return True

    def _file_queue_upload(self):
        for file in self:
            file.with_delay(
                channel=file.endpoint_id.channel_name,
                identity_key=f"logistics_sync-file-out-{file.id}",
                description=f"Logistics Sync: upload file {file.name}",
            )._job_upload()

    def _file_queue_move(self):
        for file in self:
            file.with_delay(
                channel=file.endpoint_id.channel_name,
                identity_key=f"logistics_sync-file-move-{file.id}",
                description=f"Logistics Sync: move received file {file.name}",
            )._job_move()
