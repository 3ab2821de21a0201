# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL whose endpoint exchanges X12 files gets its shipping orders as 940s.

The 3PL addon's release job decides what to send (first version, a new version,
a cancellation) and stores the request in flight first, as for its JSON API; only
the call differs: instead of a POST, the 940 is written, recorded as an outbound
exchange and handed to the endpoint's file channel (upload retried there), and the
release is marked stored in the same transaction, outside the job's (as the JSON
answer is).  A document the 940 cannot carry (a unit without an X12 code, a value
too long) is refused: an exception on the release with an activity, as a 4xx is.
The 945 coming back is applied by ``logistics_edi_exchange_x12_docs.py``.
"""

import json

from odoo import models
from odoo.exceptions import UserError

from ..lib import maps_tpl
from odoo.addons.logistics_sync_3pl.adapters import PermanentTplError
from odoo.addons.logistics_sync_base.jobs import record_outside


class LogisticsTplRelease(models.Model):
    _inherit = "logistics.tpl.release"

    def _tpl_send(self, pending, then_next=False):
        if not self.endpoint_id._edi_speaks("x12") or self.document_type != "shipping_order":
            return super()._tpl_send(pending, then_next)
        operation, body = pending["pending_op"], json.loads(pending["pending_payload"])
        key = pending["pending_key"]

        def apply(env):
            release = env[self._name].browse(self.id)
            if release.pending_key != key:
                return f"940 for {key} not written (another request is in flight)", False
            try:
                with env.cr.savepoint():
                    exchange = release._edi_send_940(operation, body)
            except (UserError, ValueError) as exc:
                return release._tpl_refused(PermanentTplError(str(exc))), False
            result = release._tpl_stored(operation, body, {"edi_exchange": exchange.name})
            more = then_next and release._tpl_next_op({}) not in (None, "blocked")
            return f"{result} ({exchange.name})", more

        result, more = record_outside(self.env, apply)
        if more:
            self._tpl_enqueue()
        return result

    def _edi_send_940(self, operation, body):
        """The 940 of ``body`` (a shipping order, or a cancellation: the last version
        sent again with W05 F) as an outbound exchange; returns the exchange."""
        self.ensure_one()
        endpoint = self.endpoint_id
        if operation == "cancel":
            doc = dict(json.loads(self.last_document or "{}"), version=body["version"])
        else:
            doc = body
        units = maps_tpl.UNIT_CODES | endpoint._edi_codes("x12_unit")
        values = maps_tpl.shipping_order_values(doc, operation, units=units)
        return self.env["logistics.edi.exchange"]._edi_send_x12(
            endpoint, "940", [values], record=self
        )
