# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""EDIFACT in and out through the same exchange records as X12 (pydifact underneath,
``lib/edifact.py``):

- in: one exchange per interchange; the envelope checked (UNT and UNZ counts and
  references), the sender against the partner's EDIFACT ID, the same interchange
  (sender, UNB05) twice refused; an IFTSTA's statuses become canonical events of
  the webhooks' pipeline (deduplication, order, gating, dead letters) through the
  partner's status code list, every consignment's transfer found first: one error
  anywhere and nothing of the interchange is applied;
- out: ``_edi_send_edifact`` numbers the interchange from the partner's control
  sequence, writes it, records it and hands it to the file channel (DESADV).
"""

import hashlib

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import edifact

SUPPORTED_IN = ("IFTSTA",)


def _error(exc, level="set"):
    return {
        "level": level,
        "position": exc.position or 0,
        "segment_id": exc.tag or False,
        "element": 0,
        "code": False,
        "message": exc.message,
    }


class LogisticsEdiExchange(models.Model):
    _inherit = "logistics.edi.exchange"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ inbound
    @api.model
    def _edi_receive_edifact(self, endpoint, data, file_name=None, **values):
        """Record and apply an EDIFACT file received from ``endpoint``; returns its
        exchange (in error, with the segment's position, when anything is wrong).
        ``values``: more fields of the exchange (``file_id``...)."""
        common = {
            **values,
            "endpoint_id": endpoint.id,
            "direction": "in",
            "standard": "edifact",
            "file_name": file_name,
            "file_sha256": hashlib.sha256(data).hexdigest(),
        }
        try:
            interchange = edifact.read_interchange(data)
        except edifact.EdifactError as exc:
            exchange = self.create(dict(common, doc_type="unknown"))
            exchange._attach(data, file_name)
            exchange._set_errors([_error(exc, "file")])
            return exchange
        types = {message.type for message in interchange.messages}
        doc_type = types.pop() if len(types) == 1 else "unknown"
        original = self.search(
            [
                ("endpoint_id", "=", endpoint.id),
                ("direction", "=", "in"),
                ("standard", "=", "edifact"),
                ("sender", "=", interchange.sender),
                ("interchange_control", "=", interchange.control_reference),
                ("duplicate_of_id", "=", False),
            ],
            limit=1,
        )
        exchange = self.create(
            dict(
                common,
                doc_type=doc_type if doc_type in ("IFTSTA", "DESADV") else "unknown",
                interchange_control=interchange.control_reference,
                set_control=interchange.messages[0].reference if interchange.messages else False,
                set_count=len(interchange.messages),
                sender=interchange.sender,
                receiver=interchange.recipient,
                version=interchange.messages[0].version if interchange.messages else False,
                position_first=1,
                duplicate_of_id=original.id or False,
                event_prefix=f"edifact/{interchange.sender}/{interchange.control_reference}/",
            )
        )
        exchange._attach(data, file_name)
        if original:
            exchange._set_errors(
                [
                    _error(
                        edifact.EdifactError(
                            f"Interchange {interchange.control_reference} from "
                            f"{interchange.sender} was received already ({original.name}): "
                            "refused as a duplicate, nothing applied.",
                            1,
                            "UNB",
                        ),
                        "interchange",
                    )
                ]
            )
            return exchange
        exchange._edi_apply_edifact(interchange)
        return exchange

    def _edi_apply_edifact(self, interchange):
        self.ensure_one()
        endpoint = self.endpoint_id
        expected = endpoint.sudo().edi_edifact_id_partner
        if expected and interchange.sender != expected:
            self._set_errors(
                [
                    _error(
                        edifact.EdifactError(
                            f"The interchange's sender is {interchange.sender}; this partner's "
                            f"settings expect {expected} (EDI tab of the endpoint).",
                            1,
                            "UNB",
                        ),
                        "interchange",
                    )
                ]
            )
            return
        codes = endpoint._edi_codes("edifact_status") or edifact.DEFAULT_STATUS_CODES
        events, errors = [], []
        # sudo: finding transfers is the pipeline's own lookup, whoever caused the read
        Picking = self.env["stock.picking"].sudo()
        for message in interchange.messages:
            if message.type not in SUPPORTED_IN:
                errors.append(
                    edifact.EdifactError(
                        f"Message {message.reference} is a {message.type}: this database reads "
                        f"{', '.join(SUPPORTED_IN)} from partners.",
                        message.position,
                        "UNH",
                    )
                )
                continue
            try:
                found = edifact.read_iftsta(message, self.event_prefix, codes)
            except edifact.EdifactError as exc:
                errors.append(exc)
                continue
            for event in found:
                position = event.pop("_position")
                picking = Picking._logistics_find(
                    endpoint.company_id, event["shipment_ref"], event.get("tracking_ref")
                )
                if not picking:
                    errors.append(
                        edifact.EdifactError(
                            f"Unknown consignment {event['shipment_ref']!r}: no transfer of "
                            f"{endpoint.company_id.name} has this name, reference or tracking "
                            "number. Nothing of the interchange was applied; reprocess once "
                            "the transfer exists.",
                            position,
                            "STS",
                        )
                    )
                events.append(event)
        Event = self.env["logistics.event"].sudo().with_company(endpoint.company_id)
        if not errors:
            for problem in Event._validate_payloads(events):
                errors.append(
                    edifact.EdifactError(
                        f"Status {problem['index'] + 1} does not make a valid event: "
                        f"{problem['field']}: {problem['message']}"
                    )
                )
        if not errors:
            status, body = Event._ingest(endpoint.sudo(), events)
            if status == 409:
                errors.append(
                    edifact.EdifactError(
                        "These statuses were received before with other content: "
                        + body["error"]["message"]
                    )
                )
        if errors:
            self._set_errors([_error(exc) for exc in errors])
            return
        self.error_ids.unlink()
        self.write(
            {"state": "processed", "error_summary": False, "processed_at": fields.Datetime.now()}
        )

    # ------------------------------------------------------------------ outbound
    @api.model
    def _edi_send_edifact(self, endpoint, doc_type, build_messages, record=None):
        """Write one interchange of the messages ``build_messages(first reference)``
        returns (pydifact segments, UNH to UNT), record it and send it."""
        endpoint.ensure_one()
        # sudo: the exchange is the audit trail of a document the caller was allowed
        # to cause (a stock user validating a delivery announces it); as _edi_send_x12
        exchanges = self.sudo()
        endpoint = endpoint.sudo()
        own, partner = endpoint.edi_edifact_id_own, endpoint.edi_edifact_id_partner
        if not own or not partner:
            raise UserError(
                self.env._(
                    "Endpoint %(name)s has no EDIFACT IDs (ours and the partner's, EDI tab): "
                    "no %(doc)s can be addressed.",
                    name=endpoint.name,
                    doc=doc_type,
                )
            )
        control = endpoint._edi_next_control()
        reference = f"{control:09d}"
        messages = build_messages("1")
        data = edifact.write_interchange(messages, own, partner, reference)
        name = f"{endpoint.code}_{doc_type}_{reference}.edi"
        exchange = exchanges.create(
            {
                "endpoint_id": endpoint.id,
                "direction": "out",
                "standard": "edifact",
                "doc_type": doc_type,
                "interchange_control": reference,
                "set_control": "1",
                "set_count": len(messages),
                "sender": own,
                "receiver": partner,
                "version": "D.96A",
                "state": "processed",
                "processed_at": fields.Datetime.now(),
                "file_name": name,
                "file_sha256": hashlib.sha256(data).hexdigest(),
                "position_first": 1,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            }
        )
        exchange._attach(data, name)
        exchange._edi_transmit()
        return exchange.with_env(self.env)  # the caller's rights again
