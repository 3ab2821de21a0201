# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A TMS or carrier whose endpoint exchanges X12 files gets the releases as 204 load
tenders: B2A 00 for the first version, 04 for a change, 01 for a cancellation.

The TMS addon's release job decides what to send and stores the request in flight
first, as for its JSON API; instead of the call, the 204 is recorded as an outbound
exchange and handed to the file channel, and the release is marked stored outside
the job's transaction (as the JSON answer is), with its own name as the TMS
reference: the carrier's 990 names it in B1-02 and is applied as the TMS's JSON
answer (``logistics_edi_exchange_x12_docs.py``)."""

import json

from odoo import models
from odoo.exceptions import UserError

from ..lib import maps_tms, maps_tpl
from odoo.addons.logistics_sync_base.jobs import record_outside
from odoo.addons.logistics_sync_tms.adapters import PermanentTmsError


class LogisticsTmsRelease(models.Model):
    _inherit = "logistics.tms.release"

    def _tms_send_pending(self, pending, then_next=False):
        if not self.endpoint_id._edi_speaks("x12"):
            return super()._tms_send_pending(pending, then_next)
        operation, body = pending["pending_op"], json.loads(pending["pending_payload"])
        key = pending["pending_key"]

        def apply(env):
            release = env[self._name].browse(self.id)
            if release.pending_key != key:
                return f"204 for {key} not written (another request is in flight)", False
            try:
                with env.cr.savepoint():
                    exchange = release._edi_send_204(operation, body)
            except (UserError, ValueError) as exc:
                return release._tms_refused(PermanentTmsError(str(exc))), False
            answer = {"shipment_id": release.name, "edi_exchange": exchange.name}
            result = release._tms_stored(operation, body, answer)
            return f"{result} ({exchange.name})", bool(then_next and release._tms_next_op())

        result, more = record_outside(self.env, apply)
        if more:
            self._tms_enqueue()
        return result

    def _edi_send_204(self, operation, body):
        """The 204 of ``body`` (a release request, or a cancellation: the transfer
        with B2A 01) as an outbound exchange."""
        self.ensure_one()
        endpoint = self.endpoint_id
        if operation == "cancel":
            # the transfer as it is: the carrier finds the tender by B2-04
            request = dict(self._request(self.sent_version or 1), version=body["version"])
        else:
            request = body
        units = maps_tpl.UNIT_CODES | endpoint._edi_codes("x12_unit")
        values = maps_tms.tender_values(request, operation, scac=endpoint._edi_scac(), units=units)
        return self.env["logistics.edi.exchange"]._edi_send_x12(
            endpoint, "204", [values], record=self
        )
