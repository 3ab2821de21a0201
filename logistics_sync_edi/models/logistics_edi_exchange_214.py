# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""214 shipment status in: each status an event of the webhooks' pipeline."""

from odoo import models

from ..lib import status214
from ..lib.errors import EdiApplicationError


class LogisticsEdiExchange(models.Model):
    _inherit = "logistics.edi.exchange"  # pylint: disable=consider-merging-classes-inherited

    def _edi_apply_214(self, context):
        """Feed one 214 set's statuses to ``logistics.event._ingest`` (deduplication,
        order, gating and dead letters as for a webhook); the whole set or nothing."""
        endpoint = context.endpoint
        b10 = context.values["B10"]
        if "214_codes" not in context.cache:  # once per interchange
            context.cache["214_codes"] = (
                endpoint._edi_codes("x12_214_status"),
                endpoint._edi_codes("x12_214_reason"),
            )
        statuses, reasons = context.cache["214_codes"]
        events = status214.events(
            context.values,
            id_prefix=context.id_prefix,
            statuses=statuses,
            reasons=reasons,
            local_zone=endpoint.edi_timezone or "UTC",
        )
        picking = self._edi_214_transfers(context).get(b10["shipment_ref"])
        if not picking:
            # sudo: finding the transfer is the pipeline's own lookup (any user may
            # cause a file to be read; the pipeline applies events as itself)
            picking = (
                self.env["stock.picking"]
                .sudo()
                ._logistics_find(endpoint.company_id, b10["shipment_ref"], b10.get("tracking_ref"))
            )
        if not picking:
            raise EdiApplicationError(
                self.env._(
                    "Unknown shipment %(shipment)r (carrier reference %(tracking)s): no "
                    "transfer of %(company)s has this name, external reference or tracking "
                    "number. Nothing of this set was applied; reprocess once the transfer "
                    "exists.",
                    shipment=b10["shipment_ref"],
                    tracking=b10.get("tracking_ref") or "-",
                    company=endpoint.company_id.name,
                ),
                position=b10["_position"],
                segment_id="B10",
                element=2,
            )
        Event = self.env["logistics.event"].sudo()
        errors = Event._validate_payloads(events)
        if errors:
            first = errors[0]
            raise EdiApplicationError(
                self.env._(
                    "Status %(number)s of the set does not make a valid event: "
                    "%(field)s: %(message)s",
                    number=first["index"] + 1,
                    field=first["field"],
                    message=first["message"],
                ),
                position=context.transaction_set.position,
                segment_id="ST",
            )
        status, body = Event._ingest(endpoint, events)
        if status == 409:
            raise EdiApplicationError(
                self.env._(
                    "These statuses were received before with other content: %(reason)s",
                    reason=body["error"]["message"],
                ),
                position=context.transaction_set.position,
                segment_id="ST",
            )

    def _edi_214_transfers(self, context):
        """{transfer name: transfer} of the B10 shipment references (B10-02) of the
        set's group, in one query for the whole group: ``_logistics_find``'s first
        rule (the company's transfer of that name, the newest); the references it
        misses go through ``_logistics_find`` set by set."""
        key = ("214_transfers", context.group.control, context.group.position)
        if key not in context.cache:
            names = {
                segment.get(2)
                for transaction_set in context.group.sets
                for segment in transaction_set.segments
                if segment.tag == "B10" and segment.get(2)
            }
            # sudo: as _logistics_find (the pipeline's own lookup)
            found = (
                self.env["stock.picking"]
                .sudo()
                .search(
                    [
                        ("company_id", "=", context.endpoint.company_id.id),
                        ("name", "in", list(names)),
                    ],
                    order="id",
                )
            )
            context.cache[key] = {picking.name: picking for picking in found}
        return context.cache[key]
