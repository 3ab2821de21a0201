# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""824 Application Advice out: the partner hears about the sets our 997 accepted
(valid X12) that could not be applied (an unknown shipment, a code missing from its
code list, a 945 against an old order version...), one 824 per interchange."""

from odoo import api, fields, models

from ..lib import advice824, x12
from .logistics_edi_exchange_x12 import MAPS

# sets never answered by an 824: acknowledgements (a 997 about a group never sent)
_NOT_ADVISED = {"997", "824"}


class LogisticsEdiExchange(models.Model):
    _inherit = "logistics.edi.exchange"  # pylint: disable=consider-merging-classes-inherited

    advice_exchange_id = fields.Many2one(
        "logistics.edi.exchange",
        string="Application advice (824)",
        copy=False,
        readonly=True,
        help="Inbound: the 824 we sent the partner about the sets of this interchange "
        "that could not be applied (sent once, at the first processing).",
    )

    @api.model
    def _edi_x12_map_paths(self):
        paths = super()._edi_x12_map_paths()
        paths[("824", "004010")] = MAPS / "824_004010.json"
        return paths

    def _edi_process(self, interchange=None):
        result = super()._edi_process(interchange)
        self._edi_answer_824(interchange)
        return result

    def _edi_answer_824(self, interchange=None):
        """Send the partner one 824 with an OTI loop (rejected) per set of this
        inbound interchange that ended in an application error, when its endpoint
        asks for it (``edi_send_824``) and none was sent for this exchange yet."""
        self.ensure_one()
        if (
            self.direction != "in"
            or self.standard != "x12"
            or self.advice_exchange_id
            or not self.endpoint_id.edi_send_824
        ):
            return False
        failed = {}
        for error in self.error_ids.filtered(
            lambda line: line.level == "application" and line.set_control
        ):
            failed.setdefault((error.group_control, error.set_control), []).append(
                {
                    "message": error.message,
                    "position": error.position,
                    "segment_id": error.segment_id,
                    "element": error.element,
                }
            )
        if not failed:
            return False
        try:
            interchange = interchange or self._edi_interchange()
        except x12.X12Error:
            return False  # the file is no longer readable: its errors say so already
        rejected = [
            advice824.rejected_set(group, transaction_set, errors)
            for group in interchange.groups
            for transaction_set in group.sets
            if transaction_set.set_id not in _NOT_ADVISED
            and (errors := failed.get((group.control, transaction_set.control)))
        ]
        if not rejected:
            return False
        values = advice824.advice_values(interchange.control, fields.Datetime.now(), rejected)
        advice = self._edi_send_x12(self.endpoint_id, "824", [values], record=self)
        self.advice_exchange_id = advice.id
        return advice
