# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Exchange records: every interchange received or sent, its state and its errors.

Reading, processing and writing X12 live in ``logistics_edi_exchange_x12.py``; the
documents' handlers in ``logistics_edi_exchange_214.py`` and ``_997.py`` (and in
the addons adding documents)."""

import base64

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

DOC_TYPES = [
    ("204", "204 Load tender"),
    ("990", "990 Response to a load tender"),
    ("214", "214 Shipment status"),
    ("210", "210 Freight invoice"),
    ("940", "940 Warehouse shipping order"),
    ("945", "945 Warehouse shipping advice"),
    ("856", "856 Ship notice (ASN)"),
    ("824", "824 Application advice"),
    ("997", "997 Functional acknowledgement"),
    ("TA1", "TA1 Interchange acknowledgement"),
    ("IFTSTA", "IFTSTA Status (EDIFACT)"),
    ("DESADV", "DESADV Despatch advice (EDIFACT)"),
    ("CONTRL", "CONTRL Syntax and service report (EDIFACT)"),
    ("unknown", "Unknown"),
]
STATES = [
    ("received", "Received"),
    ("parsed", "Parsed"),
    ("processed", "Processed"),
    ("sent", "Sent"),
    ("acknowledged", "Acknowledged"),
    ("error", "Error"),
]


class LogisticsEdiExchange(models.Model):
    _name = "logistics.edi.exchange"
    _description = "Logistics Sync EDI Exchange"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", compute="_compute_name", store=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Partner",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        help="The EDI partner: the endpoint whose settings (ISA IDs, code lists) apply.",
    )
    company_id = fields.Many2one(
        "res.company", string="Company", related="endpoint_id.company_id", store=True
    )
    direction = fields.Selection(
        [("in", "Inbound"), ("out", "Outbound")], string="Direction", required=True
    )
    standard = fields.Selection(
        [("x12", "X12"), ("edifact", "EDIFACT")], string="Standard", default="x12", required=True
    )
    doc_type = fields.Selection(DOC_TYPES, string="Document", required=True, default="unknown")
    interchange_control = fields.Char(string="Interchange (ISA13)", index=True, copy=False)
    group_control = fields.Char(
        string="Group (GS06)", copy=False, help="The first functional group's control number."
    )
    set_control = fields.Char(
        string="Set (ST02)", copy=False, help="The first transaction set's control number."
    )
    set_count = fields.Integer(string="Sets", help="Transaction sets in the interchange.")
    sender = fields.Char(string="Sender (ISA05/06)")
    receiver = fields.Char(string="Receiver (ISA07/08)")
    usage = fields.Selection([("T", "Test"), ("P", "Production")], string="Usage")
    version = fields.Char(string="Version (GS08)")
    state = fields.Selection(
        STATES, string="State", required=True, default="received", tracking=True, index=True
    )
    error_ids = fields.One2many(
        "logistics.edi.exchange.error", "exchange_id", string="Errors", readonly=True
    )
    error_count = fields.Integer(string="Error count", compute="_compute_error_count")
    error_summary = fields.Text(string="Error", readonly=True, copy=False)
    duplicate_of_id = fields.Many2one(
        "logistics.edi.exchange",
        string="Duplicate of",
        readonly=True,
        copy=False,
        help="An interchange received twice (same sender, same ISA13) is refused: this is "
        "the first one.",
    )
    file_name = fields.Char(string="File name")
    file_sha256 = fields.Char(string="File SHA-256", copy=False)
    position_first = fields.Integer(
        string="First segment", help="The ISA's position in the file (a file may hold several)."
    )
    file_id = fields.Many2one(
        "logistics.file",
        string="File",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Inbound: the file of the partner's channel it was read from. Outbound: the "
        "file its last sending uploads.",
    )
    attachment_id = fields.Many2one(
        "ir.attachment", string="Raw file", readonly=True, copy=False, ondelete="restrict"
    )
    raw_text = fields.Text(string="Content", compute="_compute_raw_text")
    ack_status = fields.Selection(
        [
            ("pending", "Waiting for the acknowledgement"),
            ("overdue", "Acknowledgement overdue"),
            ("accepted", "Accepted"),
            ("partial", "Partly accepted"),
            ("rejected", "Rejected"),
            ("sent", "Acknowledgement sent"),
        ],
        string="Acknowledgement",
        copy=False,
        tracking=True,
        help="Outbound: what the partner's 997 (X12) or CONTRL (EDIFACT) said. Inbound: "
        "ours was sent.",
    )
    ack_due_at = fields.Datetime(string="Acknowledgement due", copy=False)
    ack_exchange_id = fields.Many2one(
        "logistics.edi.exchange",
        string="Acknowledgement exchange",
        copy=False,
        readonly=True,
        help="Outbound: the partner's 997 or CONTRL that acknowledged it. Inbound: our "
        "997 (or TA1) or CONTRL.",
    )
    acknowledged_at = fields.Datetime(string="Acknowledged", copy=False, readonly=True)
    processed_at = fields.Datetime(string="Processed", copy=False, readonly=True)
    sent_at = fields.Datetime(string="Sent", copy=False, readonly=True)
    event_prefix = fields.Char(
        string="Event id prefix",
        copy=False,
        readonly=True,
        help="Events this interchange fed into the pipeline have ids starting with it.",
    )
    event_count = fields.Integer(string="Events", compute="_compute_event_count")
    res_model = fields.Char(string="Related model", readonly=True)
    res_id = fields.Many2oneReference(string="Related record", model_field="res_model")

    @api.depends("direction", "doc_type", "interchange_control")
    def _compute_name(self):
        labels = dict(DOC_TYPES)
        for exchange in self:
            label = labels.get(exchange.doc_type, "").split(" ")[0]
            arrow = "IN" if exchange.direction == "in" else "OUT"
            exchange.name = " ".join(
                part for part in (arrow, label, exchange.interchange_control or "") if part
            )

    def _compute_error_count(self):
        for exchange in self:
            exchange.error_count = len(exchange.error_ids)

    def _compute_raw_text(self):
        for exchange in self:
            data = exchange.sudo().attachment_id.raw if exchange.attachment_id else b""
            exchange.raw_text = data[:200_000].decode("utf-8", "replace") if data else False

    def _compute_event_count(self):
        for exchange in self:
            if not exchange.event_prefix:
                exchange.event_count = 0
                continue
            exchange.event_count = (
                self.env["logistics.event"]
                .sudo()  # counted for the form: the user reads the exchange, maybe not events
                .search_count(
                    [
                        ("endpoint_id", "=", exchange.endpoint_id.id),
                        ("external_id", "=like", exchange.event_prefix + "%"),
                    ]
                )
            )

    def init(self):
        # Control numbers are unique per partner and direction; a refused duplicate
        # (duplicate_of_id set) keeps its number for the record.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS logistics_edi_exchange_control_unique"
                " ON logistics_edi_exchange (endpoint_id, direction, standard, interchange_control)"
                " WHERE interchange_control IS NOT NULL AND duplicate_of_id IS NULL"
            )
        )

    # ------------------------------------------------------------------ helpers
    def _attach(self, data, file_name):
        """Attach the raw bytes to this exchange (the audit copy)."""
        self.ensure_one()
        # sudo: the raw file belongs to the exchange; a stock user's action may send
        self.attachment_id = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": file_name or f"{self.name}.edi",
                    "raw": data,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "text/plain",
                }
            )
        )

    def _raw(self):
        self.ensure_one()
        return self.sudo().attachment_id.raw or b""

    def _set_errors(self, errors, state="error"):
        """Replace the error lines by ``errors`` (dicts of the error model's fields)."""
        self.ensure_one()
        self.error_ids.unlink()
        lines = sorted(
            (dict(error, exchange_id=self.id) for error in errors),
            key=lambda line: line.get("position") or 0,
        )
        self.env["logistics.edi.exchange.error"].create(lines)
        summary = "\n".join(
            (
                f"{line.get('segment_id') or ''} @{line['position']}: "
                if line.get("position")
                else ""
            )
            + line["message"]
            for line in lines[:20]
        )
        self.write({"state": state, "error_summary": summary or False})

    # ------------------------------------------------------------------ actions
    def action_reprocess(self):
        """Read the raw file of this inbound exchange again and apply what is valid."""
        self.check_access("write")
        for exchange in self:
            if exchange.direction != "in":
                raise UserError(self.env._("Only a received exchange can be reprocessed."))
            if exchange.duplicate_of_id:
                raise UserError(
                    self.env._(
                        "This interchange is a duplicate of %(name)s: reprocess that one.",
                        name=exchange.duplicate_of_id.name,
                    )
                )
            exchange._edi_reprocess()
            exchange.message_post(body=self.env._("Reprocessed."))
        return True

    @api.model
    def _edi_reprocess_file(self, file):
        """The exchanges a received ``file`` made, reprocessed (a failed file
        processed again from the Files list), or None when it made none yet.
        Refused duplicates stay refused."""
        exchanges = self.search([("file_id", "=", file.id), ("direction", "=", "in")], order="id")
        if not exchanges:
            return None
        for exchange in exchanges.filtered(lambda e: not e.duplicate_of_id):
            exchange._edi_reprocess()
            exchange.message_post(
                body=self.env._(
                    "Reprocessed: its file %(file)s was processed again.", file=file.name
                )
            )
        return exchanges

    def _edi_reprocess(self):
        """Read this inbound exchange's raw file again and apply it (X12 or EDIFACT)."""
        self.ensure_one()
        if self.standard == "edifact":
            return self._edi_process_edifact()
        return self._edi_process()

    def action_send_again(self):
        """Send the same bytes of this outbound exchange once more."""
        self.check_access("write")
        for exchange in self:
            if exchange.direction != "out":
                raise UserError(self.env._("Only an outbound exchange can be sent again."))
            if not exchange._edi_transmit():
                raise UserError(
                    self.env._(
                        "%(partner)s has no file channel to send to (file transport and "
                        "outbound path on its Files tab): download the file instead.",
                        partner=exchange.endpoint_id.name,
                    )
                )
            exchange.message_post(body=self.env._("Sent again."))
        return True

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_base.logistics_event_action"
        )
        action["domain"] = [
            ("endpoint_id", "=", self.endpoint_id.id),
            ("external_id", "=like", (self.event_prefix or "-") + "%"),
        ]
        action["context"] = {}
        return action

    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    @api.model
    def _b64(self, data):
        return base64.b64encode(data).decode()
