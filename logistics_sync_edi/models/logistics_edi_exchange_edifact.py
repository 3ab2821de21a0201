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
  sequence, writes it, records it and hands it to the file channel (DESADV, which
  asks for a CONTRL: UNB09 = 1, and waits for it as an X12 set waits for its 997;
  CONTRL).
"""

import hashlib
from datetime import timedelta

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
        Every interchange that can be identified (a UNB with its reference) is
        answered by a CONTRL (unless it is one), accepted or rejected at the level
        of the error.  ``values``: more fields of the exchange (``file_id``...)."""
        common = {
            **values,
            "endpoint_id": endpoint.id,
            "direction": "in",
            "standard": "edifact",
            "file_name": file_name,
            "file_sha256": hashlib.sha256(data).hexdigest(),
        }
        try:
            interchange = edifact.parse_interchange(data)
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
        exchange = self._edi_create_received(
            dict(
                common,
                doc_type=doc_type if doc_type in ("IFTSTA", "DESADV", "CONTRL") else "unknown",
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
            error = edifact.EdifactError(
                f"Interchange {interchange.control_reference} from "
                f"{interchange.sender} was received already ({original.name}): "
                "refused as a duplicate, nothing applied.",
                1,
                "UNB",
                edifact.SYNTAX_DUPLICATE,
                "6",
            )
            exchange._set_errors([_error(error, "interchange")])
            exchange._edi_answer_contrl(interchange, interchange_error=error)
            return exchange
        exchange._edi_apply_edifact(interchange)
        return exchange

    def _edi_process_edifact(self, interchange=None):
        """Reprocess: an EDIFACT exchange is read again from its raw file."""
        self.ensure_one()
        try:
            interchange = interchange or edifact.parse_interchange(self._raw())
        except edifact.EdifactError as exc:
            self._set_errors([_error(exc, "file")])
            return None
        return self._edi_apply_edifact(interchange)

    def _edi_apply_edifact(self, interchange):
        """Check and apply ``interchange``; answer it with a CONTRL (a CONTRL itself
        is applied to the exchange it acknowledges and never answered)."""
        self.ensure_one()
        endpoint = self.endpoint_id
        expected = endpoint.sudo().edi_edifact_id_partner
        rejection = None
        if expected and interchange.sender != expected:
            rejection = edifact.EdifactError(
                f"The interchange's sender is {interchange.sender}; this partner's "
                f"settings expect {expected} (EDI tab of the endpoint).",
                1,
                "UNB",
                edifact.SYNTAX_UNKNOWN_SENDER,
                "3",
            )
        elif interchange.errors:
            rejection = interchange.errors[0]
        if rejection is not None:
            self._set_errors([_error(exc, "interchange") for exc in [rejection]])
            self._edi_answer_contrl(interchange, interchange_error=rejection)
            return
        if {message.type for message in interchange.messages} == {"CONTRL"}:
            self._edi_apply_contrl_interchange(interchange)
            return
        codes = endpoint._edi_codes("edifact_status") or edifact.DEFAULT_STATUS_CODES
        events, errors, rejected = [], [], {}
        # sudo: finding transfers is the pipeline's own lookup, whoever caused the read
        Picking = self.env["stock.picking"].sudo()
        for message in interchange.messages:
            if message.errors:
                errors.extend(message.errors)
                continue
            if message.type not in SUPPORTED_IN:
                error = edifact.EdifactError(
                    f"Message {message.reference} is a {message.type}: this database reads "
                    f"{', '.join(SUPPORTED_IN)} from partners.",
                    message.position,
                    "UNH",
                    edifact.SYNTAX_NOT_SUPPORTED,
                    "3:1",
                )
                errors.append(error)
                rejected[message.reference] = [error]
                continue
            try:
                found = edifact.read_iftsta(message, self.event_prefix, codes)
            except edifact.EdifactError as exc:
                errors.append(exc)
                rejected[message.reference] = [exc]
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
        # the CONTRL reports syntax (envelope, segments, codes): an unknown
        # consignment is the application's problem, the interchange is acknowledged
        self._edi_answer_contrl(interchange, message_errors=rejected)
        if errors:
            self._set_errors([_error(exc) for exc in errors])
            return
        self.error_ids.unlink()
        self.write(
            {"state": "processed", "error_summary": False, "processed_at": fields.Datetime.now()}
        )

    def _edi_apply_contrl_interchange(self, interchange):
        """A partner's CONTRL(s): each marks the outbound interchange it answers."""
        errors = []
        for message in interchange.messages:
            try:
                report = edifact.read_contrl(message)
            except edifact.EdifactError as exc:
                errors.append(exc)
                continue
            error = self._edi_apply_contrl(report)
            if error:
                errors.append(error)
        if errors:
            self._set_errors([_error(exc, "application") for exc in errors])
            return
        self.error_ids.unlink()
        self.write(
            {"state": "processed", "error_summary": False, "processed_at": fields.Datetime.now()}
        )

    def _edi_apply_contrl(self, report):
        """Mark the outbound exchange ``report`` (``edifact.read_contrl``) answers
        accepted, partly accepted or rejected (its errors as lines); an EdifactError
        when it answers an interchange never sent to this partner."""
        target = self.search(
            [
                ("endpoint_id", "=", self.endpoint_id.id),
                ("direction", "=", "out"),
                ("standard", "=", "edifact"),
                ("interchange_control", "=", report["control_reference"]),
                ("doc_type", "!=", "CONTRL"),
            ],
            limit=1,
        )
        if not target:
            return edifact.EdifactError(
                f"This CONTRL answers interchange {report['control_reference']}, which was "
                "never sent to this partner.",
                report["position"],
                "UCI",
            )
        status = report["status"]
        values = {
            "ack_status": status,
            "ack_exchange_id": self.id,
            "acknowledged_at": fields.Datetime.now(),
        }
        target.activity_unlink(["logistics_sync_edi.mail_activity_edi_ack_overdue"])
        if status == "accepted":
            target.error_ids.unlink()
            target.write(dict(values, state="acknowledged", error_summary=False))
            return None
        lines = (
            [
                {
                    "level": "acknowledgement",
                    "message": self.env._(
                        "The partner rejected the interchange: %(errors)s",
                        errors="; ".join(report["errors"]) or "-",
                    ),
                }
            ]
            if report["action"] == edifact.ACTION_REJECTED
            else []
        )
        lines += [
            {
                "level": "acknowledgement",
                "set_control": item["reference"],
                "message": self.env._(
                    "The partner rejected message %(ref)s (%(type)s): %(errors)s",
                    ref=item["reference"],
                    type=item["type"],
                    errors="; ".join(item["errors"]) or "-",
                ),
            }
            for item in report["messages"]
            if item["status"] == "rejected"
        ]
        target._set_errors(lines)
        target.write(values)
        target.message_post(
            body=self.env._(
                "The partner's CONTRL (%(ack)s) %(status)s this interchange.",
                ack=self.name,
                status=dict(target._fields["ack_status"].selection)[status],
            )
        )
        return None

    def _edi_answer_contrl(self, interchange, interchange_error=None, message_errors=None):
        """Our CONTRL for ``interchange`` (once per exchange; never for a CONTRL)."""
        endpoint = self.endpoint_id.sudo()
        if not endpoint.edi_send_997 or self.ack_exchange_id:
            return
        if any(message.type == "CONTRL" for message in interchange.messages):
            return
        if not endpoint.edi_edifact_id_own or not endpoint.edi_edifact_id_partner:
            return  # no party ids to address it (the partner is not configured for it)
        ack = self._edi_send_edifact(
            endpoint,
            "CONTRL",
            lambda reference: [
                edifact.contrl_message(
                    interchange,
                    reference,
                    interchange_error=interchange_error,
                    message_errors=message_errors,
                )
            ],
            record=self,
        )
        self.write({"ack_exchange_id": ack.id, "ack_status": "sent"})

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
        expects_ack = doc_type != "CONTRL" and endpoint.edi_ack_hours > 0
        data = edifact.write_interchange(messages, own, partner, reference, ack_request=expects_ack)
        now = fields.Datetime.now()
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
                "processed_at": now,
                "ack_status": "pending" if expects_ack else False,
                "ack_due_at": now + timedelta(hours=endpoint.edi_ack_hours)
                if expects_ack
                else False,
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
