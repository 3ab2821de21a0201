# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsEdiExchangeError(models.Model):
    """One problem of an exchange, at its place in the file."""

    _name = "logistics.edi.exchange.error"
    _description = "Logistics Sync EDI Exchange Error"
    _order = "exchange_id, position, id"

    exchange_id = fields.Many2one(
        "logistics.edi.exchange", string="Exchange", required=True, ondelete="cascade", index=True
    )
    level = fields.Selection(
        [
            ("file", "File"),
            ("interchange", "Interchange"),
            ("group", "Group"),
            ("set", "Transaction set"),
            ("segment", "Segment"),
            ("element", "Element"),
            ("application", "Application"),
            ("acknowledgement", "Partner's acknowledgement (997/CONTRL)"),
        ],
        string="Level",
        required=True,
        help="Application: the set is valid X12 but cannot be applied here (an unknown "
        "shipment, a status code missing from the partner's code list).",
    )
    group_control = fields.Char(string="Group (GS06)")
    set_control = fields.Char(string="Set (ST02)")
    position = fields.Integer(
        string="Segment position", help="The segment's position in the file, counted from 1."
    )
    segment_id = fields.Char(string="Segment")
    element = fields.Integer(string="Element", help="The element's position in its segment.")
    code = fields.Char(string="X12 code", help="The TA1, AK3, AK4, AK5 or AK9 code reported.")
    message = fields.Text(string="Message", required=True)
    where = fields.Char(string="Where", compute="_compute_where")

    @api.depends("position", "segment_id", "element")
    def _compute_where(self):
        for error in self:
            parts = []
            if error.position:
                parts.append(
                    self.env._(
                        "segment %(position)s %(segment)s",
                        position=error.position,
                        segment=error.segment_id or "",
                    ).strip()
                )
            if error.element:
                parts.append(self.env._("element %(element)02d", element=error.element))
            error.where = ", ".join(parts)
