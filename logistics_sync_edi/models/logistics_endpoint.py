# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from pathlib import Path

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import x12
from odoo.addons.base.models.res_partner import _tz_get

CODE_LISTS = Path(__file__).resolve().parent.parent / "maps" / "code_lists_x12_004010.json"


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    edi_isa_qualifier_own = fields.Char(
        string="Our ISA qualifier",
        default="ZZ",
        help="ISA05 of what we send, ISA07 of what we receive: 01 DUNS, 02 SCAC, "
        "12 phone, ZZ mutually defined...",
    )
    edi_isa_id_own = fields.Char(
        string="Our ISA ID", help="ISA06 of what we send, ISA08 of what we receive."
    )
    edi_isa_qualifier_partner = fields.Char(
        string="Partner's ISA qualifier",
        default="ZZ",
        help="ISA05 of what the partner sends (a file from another sender is refused).",
    )
    edi_isa_id_partner = fields.Char(
        string="Partner's ISA ID", help="ISA06 of what the partner sends, ISA08 of ours."
    )
    edi_gs_code_own = fields.Char(
        string="Our GS code", help="GS02 of what we send (application sender's code)."
    )
    edi_gs_code_partner = fields.Char(
        string="Partner's GS code", help="GS03 of what we send (application receiver's code)."
    )
    edi_x12_version = fields.Selection(
        [("004010", "004010"), ("005010", "005010")],
        string="X12 version",
        default="004010",
        help="The version of what we send to this partner (GS08; ISA12 follows).",
    )
    edi_usage = fields.Selection(
        [("T", "Test"), ("P", "Production")],
        string="Usage indicator",
        default="T",
        help="ISA15 of what we send; received files with another indicator are refused.",
    )
    edi_ack_hours = fields.Integer(
        string="997/CONTRL expected within (h)",
        default=24,
        help="An outbound interchange with no acknowledgement (X12 997, EDIFACT CONTRL) "
        "after this many hours raises an activity for the endpoint's responsible. 0: the "
        "partner sends no acknowledgement.",
    )
    edi_send_997 = fields.Boolean(
        string="Send 997/CONTRL",
        default=True,
        help="Answer every functional group received with a 997 (and a refused "
        "interchange with a TA1); every EDIFACT interchange received with a CONTRL.",
    )
    edi_timezone = fields.Selection(
        _tz_get,
        string="Partner's local time zone",
        default="UTC",
        help="Times the partner sends as local time (time code LT or none) are read in "
        "this zone.",
    )
    edi_code_ids = fields.One2many(
        "logistics.edi.code", "endpoint_id", string="EDI code lists", copy=True
    )
    edi_sequence_id = fields.Many2one(
        "ir.sequence",
        string="Control number sequence",
        copy=False,
        readonly=True,
        help="Our interchange and group control numbers to this partner (ISA13, GS06).",
    )
    edi_exchange_count = fields.Integer(
        string="EDI exchanges", compute="_compute_edi_exchange_count"
    )

    @api.constrains("edi_isa_qualifier_own", "edi_isa_qualifier_partner")
    def _check_edi_qualifiers(self):
        for endpoint in self:
            for value in (endpoint.edi_isa_qualifier_own, endpoint.edi_isa_qualifier_partner):
                if value and value not in x12.ID_QUALIFIERS:
                    raise ValidationError(
                        self.env._(
                            "%(value)s is not an X12 interchange ID qualifier (01 DUNS, 02 SCAC, "
                            "12 phone, 14 DUNS+4, ZZ mutually defined...).",
                            value=value,
                        )
                    )

    @api.constrains("edi_isa_id_own", "edi_isa_id_partner", "edi_ack_hours")
    def _check_edi_ids(self):
        for endpoint in self:
            for value in (endpoint.edi_isa_id_own, endpoint.edi_isa_id_partner):
                if value and len(value) > 15:
                    raise ValidationError(
                        self.env._("An ISA ID has at most 15 characters: %(value)s", value=value)
                    )
            if endpoint.edi_ack_hours < 0:
                raise ValidationError(self.env._("The 997 delay cannot be negative."))

    def _compute_edi_exchange_count(self):
        counts = dict(
            self.env["logistics.edi.exchange"]._read_group(
                [("endpoint_id", "in", self.ids)], ["endpoint_id"], ["__count"]
            )
        )
        for endpoint in self:
            endpoint.edi_exchange_count = counts.get(endpoint, 0)

    # ------------------------------------------------------------------ helpers
    def _edi_next_control(self):
        """The next control number of ours to this partner (ISA13 and GS06).

        A PostgreSQL sequence (``standard``), not ``no_gap``: a no-gap sequence locks
        its row until the sending transaction ends, so two jobs of one partner sending
        at once collided on that lock (an ERROR line, then a retry). Control numbers
        must be unique and increasing, not gapless: a send rolled back leaves a gap."""
        self.ensure_one()
        # sudo: the sequence is technical; a stock user's action may send a document
        endpoint = self.sudo()
        if not endpoint.edi_sequence_id:
            endpoint.edi_sequence_id = (
                self.env["ir.sequence"]
                .sudo()
                .create(
                    {
                        "name": f"EDI control numbers: {endpoint.name}",
                        "implementation": "standard",
                        "padding": 9,
                        "number_next": 1,
                        "company_id": False,
                    }
                )
            )
        return int(endpoint.edi_sequence_id.next_by_id())

    def _enqueue_processing(self, hook=None):
        """Not while an interchange's sets are applied (context key
        ``logistics_sync_defer_processing``): its processing queues one job at the end."""
        if self.env.context.get("logistics_sync_defer_processing"):
            return
        return super()._enqueue_processing(hook)

    def _edi_codes(self, list_name):
        """{partner code: canonical value} of one of this partner's code lists."""
        self.ensure_one()
        # sudo: code lists are configuration a job or a stock user's action reads
        codes = self.sudo().edi_code_ids.filtered(lambda code: code.list_name == list_name)
        return {code.partner_code: code.canonical_value for code in codes}

    def action_edi_load_standard_codes(self):
        """Add the standard X12 004010 codes missing from this partner's code lists."""
        self.ensure_one()
        standard = json.loads(CODE_LISTS.read_text(encoding="utf-8"))
        known = {(code.list_name, code.partner_code) for code in self.edi_code_ids}
        lists = dict(self.env["logistics.edi.code"]._fields["list_name"].selection)
        values = [
            {
                "endpoint_id": self.id,
                "list_name": list_name,
                "partner_code": code,
                "canonical_value": canonical or description.lower(),
                "description": description,
            }
            for list_name, codes in standard.items()
            if list_name in lists
            for code, (canonical, description) in codes.items()
            if (list_name, code) not in known
        ]
        self.env["logistics.edi.code"].create(values)
        return True

    def action_view_edi_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_edi.action_logistics_edi_exchange"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action
