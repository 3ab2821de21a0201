# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The typed event ``freight_charge``: a carrier invoice for one shipment."""

import os
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.logistics_sync_base.lib.errors import PermanentEventError

SCHEMA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas", "freight_charge_v1.json"
)


class LogisticsEvent(models.Model):
    _inherit = "logistics.event"

    event_type = fields.Selection(
        selection_add=[("freight_charge", "Freight charge")],
        ondelete={"freight_charge": "cascade"},
    )

    @api.model
    def _event_type_schemas(self):
        return {**super()._event_type_schemas(), "freight_charge": SCHEMA}

    def _process_freight_charge(self, picking, now):
        """Store the carrier invoice and its charges for ``picking``, then audit
        them (they wait when the transfer is not done). Refused for good (a dead
        letter with the reason) when the invoice number was already received,
        when the total is not the sum of the lines, or a type or currency is
        unknown."""
        self.ensure_one()
        payload = self._typed_payload()
        endpoint = self.endpoint_id
        number = payload["invoice_number"]
        lines = payload["lines"]
        currency = payload["currency"]
        Invoice = self.env["logistics.freight.invoice"]
        if Invoice._freight_known_numbers(endpoint, [number]):
            raise PermanentEventError(
                self.env._("Carrier invoice %(number)s was already received.", number=number)
            )
        total = sum(line["amount"] for line in lines)
        if abs(total - payload["total"]) > 0.005:
            raise PermanentEventError(
                self.env._(
                    "Total %(total)s is not the sum of the lines (%(sum)s).",
                    total=payload["total"],
                    sum=round(total, 6),
                )
            )
        codes = set(self.env["logistics.freight.charge.type"].search([]).mapped("code"))
        unknown = sorted({line["type"] for line in lines} - codes)
        if unknown:
            raise PermanentEventError(
                self.env._("Unknown charge type(s): %(types)s.", types=", ".join(unknown))
            )
        if not self.env["res.currency"].search_count([("name", "=", currency)]):
            raise PermanentEventError(
                self.env._("Unknown or inactive currency %(code)s.", code=currency)
            )
        invoices = {
            number: {
                "date": date.fromisoformat(payload["invoice_date"]),
                "currency": currency,
                "lines": [
                    {
                        "shipment_ref": self.shipment_ref,
                        "tracking_ref": self.tracking_ref or False,
                        "charge_type": line["type"],
                        "amount": line["amount"],
                        "quantity": line.get("quantity") or 1.0,
                        "description": line.get("description") or False,
                    }
                    for line in lines
                ],
            }
        }
        try:
            endpoint._freight_partner()
        except UserError as exc:  # a configuration gap: the event is a dead letter
            raise PermanentEventError(str(exc)) from exc
        Invoice._freight_receive(
            endpoint,
            invoices,
            event=self,
            picking_by_ref={self.shipment_ref: picking.id},
        )
