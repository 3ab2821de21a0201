# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""X12 in and out: one exchange per interchange, envelopes and partner checked,
each set read by its map and applied by its document's handler, 997/TA1 answered.

The API the document addons build on:

* maps: override ``_edi_x12_map_paths()`` and add ``{(set_id, version): path}``;
* inbound documents: override ``_edi_x12_handlers()`` and add ``{set_id: method
  name}``; the method takes an :class:`EdiSet` and raises ``EdiApplicationError``
  for a set that cannot be applied (the set's writes are rolled back); what it
  reads once per interchange it may keep in ``EdiSet.cache``; events it ingests are
  processed by one job queued after the last set (``_enqueue_processing`` waits,
  context key ``logistics_sync_defer_processing``);
* outbound documents: ``_edi_send_x12(endpoint, doc_type, sets, record=None)``.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg2

from odoo import api, fields, models

from ..lib import x12, x12ack, x12map
from ..lib.errors import EdiApplicationError
from .logistics_edi_exchange import DOC_TYPES
from odoo.addons.logistics_sync_base.lib.locks import SnapshotConflict

MAPS = Path(__file__).resolve().parent.parent / "maps"
FUNCTIONAL_IDS = {
    "204": "SM",
    "210": "IM",
    "214": "QM",
    "824": "AG",
    "856": "SH",
    "940": "OW",
    "945": "SW",
    "990": "GF",
    "997": "FA",
}
ISA_VERSIONS = {"004010": "00401", "005010": "00501"}
TA1_INVALID_TEST_INDICATOR = "020"
_KNOWN_DOCS = {code for code, _label in DOC_TYPES}
_MAP_CACHE = {}


@dataclass
class EdiSet:
    """What a document handler gets for one transaction set."""

    exchange: object  # the logistics.edi.exchange record
    endpoint: object  # the partner (logistics.endpoint)
    interchange: x12.Interchange
    group: x12.Group
    transaction_set: x12.TransactionSet
    values: dict  # read by the set's map (x12map.read_set)
    # shared by the sets of one processing of the interchange: what a handler reads
    # once per file (code lists, transfers looked up in one query...)
    cache: dict = field(default_factory=dict)

    @property
    def id_prefix(self):
        """A deterministic prefix of ids of what this set creates (events...)."""
        return f"x12/{self.interchange.control}/{self.group.control}/{self.transaction_set.index}/"


def _error_values(error, group=None, transaction_set=None, level=None):
    return {
        "level": level or error.level,
        "position": error.position or 0,
        "segment_id": error.segment_id or False,
        "element": error.element or 0,
        "code": error.code or False,
        "message": error.message,
        "group_control": group.control if group else False,
        "set_control": transaction_set.control if transaction_set else False,
    }


class LogisticsEdiExchange(models.Model):
    _inherit = "logistics.edi.exchange"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ registry
    @api.model
    def _edi_x12_map_paths(self):
        """{(set id, version): path of its JSON map}; addons add theirs."""
        return {
            ("214", "004010"): MAPS / "214_004010.json",
            ("997", "004010"): MAPS / "997_004010.json",
        }

    @api.model
    def _edi_x12_handlers(self):
        """{set id: name of the method applying one received set}; addons add theirs."""
        return {"214": "_edi_apply_214", "997": "_edi_apply_997"}

    @api.model
    def _edi_x12_map(self, set_id, version):
        """The map of ``set_id`` in ``version`` (or in another version when there is
        none for it: 004010 and 005010 differ little for these sets), or None."""
        paths = self._edi_x12_map_paths()
        path = paths.get((set_id, version)) or next(
            (paths[key] for key in sorted(paths) if key[0] == set_id), None
        )
        if path is None:
            return None
        if path not in _MAP_CACHE:
            _MAP_CACHE[path] = x12map.load_map(path)
        return _MAP_CACHE[path]

    # ------------------------------------------------------------------ inbound
    @api.model
    def _edi_receive(self, endpoint, data, file_name=None, **values):
        """Record and process an X12 file received from ``endpoint``: one exchange per
        interchange (or one in error when the file cannot be read); returns them.
        ``values``: more fields of the exchanges (``res_model``/``res_id``...)."""
        common = dict(
            values,
            endpoint_id=endpoint.id,
            direction="in",
            standard="x12",
            file_name=file_name,
            file_sha256=hashlib.sha256(data).hexdigest(),
        )
        try:
            interchanges = x12.parse(data)
        except x12.X12Error as exc:
            exchange = self.create(dict(common, doc_type="unknown"))
            exchange._attach(data, file_name)
            exchange._set_errors([_error_values(exc, level="file")])
            return exchange
        exchanges = self.browse()
        for interchange in interchanges:
            first_set = interchange.sets[:1]
            doc_type = first_set[0].set_id if first_set else "unknown"
            if not first_set and interchange.ta1:
                doc_type = "TA1"
            vals = dict(
                common,
                doc_type=doc_type if doc_type in _KNOWN_DOCS else "unknown",
                interchange_control=interchange.control,
                group_control=interchange.groups[0].control if interchange.groups else False,
                set_control=first_set[0].control if first_set else False,
                set_count=len(interchange.sets),
                sender=f"{interchange.sender_qualifier}/{interchange.sender_id}",
                receiver=f"{interchange.receiver_qualifier}/{interchange.receiver_id}",
                usage=interchange.usage if interchange.usage in ("T", "P") else False,
                version=interchange.groups[0].version if interchange.groups else False,
                position_first=interchange.position,
            )
            original = self.search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("direction", "=", "in"),
                    ("standard", "=", "x12"),
                    ("interchange_control", "=", interchange.control),
                    ("duplicate_of_id", "=", False),
                ],
                limit=1,
            )
            exchange = self._edi_create_received(dict(vals, duplicate_of_id=original.id or False))
            exchange._attach(data, file_name)
            if original:
                error = x12.X12Error(
                    f"Interchange {interchange.control} from {exchange.sender} was received "
                    f"already ({original.name}, {original.create_date}): refused as a "
                    "duplicate, nothing applied.",
                    position=interchange.position,
                    segment_id="ISA",
                    element=13,
                    code=x12.TA1_DUPLICATE,
                )
                exchange._set_errors([_error_values(error)])
                exchange._edi_answer_ta1(interchange, x12.TA1_DUPLICATE)
            else:
                exchange._edi_process(interchange)
            exchanges |= exchange
        return exchanges

    @api.model
    def _edi_create_received(self, values):
        """Create a received exchange; another transaction that recorded the same
        interchange (same partner, same control number) since this one started
        makes a ``SnapshotConflict``: the job runs again in a new transaction,
        which sees that exchange and records this one as its duplicate (with its
        TA1), as a file received later would be.  The insert waits for the other
        transaction only (never for one of this job's own locks)."""
        try:
            with self.env.cr.savepoint():
                return self.create(values)
        except psycopg2.errors.UniqueViolation as exc:
            if exc.diag.constraint_name != "logistics_edi_exchange_control_unique":
                raise
            self.env.invalidate_all()
            raise SnapshotConflict(
                f"interchange {values.get('interchange_control')} was recorded meanwhile by "
                "another job"
            ) from None

    def _edi_interchange(self):
        """This exchange's interchange, read again from its raw file."""
        self.ensure_one()
        for interchange in x12.parse(self._raw()):
            if interchange.position == self.position_first:
                return interchange
        raise x12.X12Error(self.env._("The interchange is no longer in the attached file."))

    def _edi_partner_errors(self, interchange):
        """Envelope errors of ``interchange`` against this partner's settings."""
        endpoint = self.endpoint_id
        errors = []
        checks = (
            (5, 6, endpoint.edi_isa_qualifier_partner, endpoint.edi_isa_id_partner,
             interchange.sender_qualifier, interchange.sender_id, x12.TA1_SENDER_ID, "sender"),
            (7, 8, endpoint.edi_isa_qualifier_own, endpoint.edi_isa_id_own,
             interchange.receiver_qualifier, interchange.receiver_id, x12.TA1_RECEIVER_ID,
             "receiver"),
        )  # fmt: skip
        for _q_pos, id_pos, qualifier, ident, got_qualifier, got_id, code, what in checks:
            if ident and (got_qualifier, got_id) != (qualifier or got_qualifier, ident):
                errors.append(
                    x12.X12Error(
                        f"The interchange's {what} is {got_qualifier}/{got_id}; this partner's "
                        f"settings expect {qualifier}/{ident} (EDI tab of the endpoint).",
                        position=interchange.position,
                        segment_id="ISA",
                        element=id_pos,
                        code=code,
                    )
                )
        if endpoint.edi_usage and interchange.usage != endpoint.edi_usage:
            errors.append(
                x12.X12Error(
                    f"The interchange's usage indicator ISA15 is {interchange.usage!r}; this "
                    f"partner is set to {endpoint.edi_usage!r} (T test, P production).",
                    position=interchange.position,
                    segment_id="ISA",
                    element=15,
                    code=TA1_INVALID_TEST_INDICATOR,
                )
            )
        return errors

    def _edi_process(self, interchange=None):
        """Check, read and apply this inbound interchange; answer it (997 or TA1).

        Each set is applied in a savepoint of its own: a set in error applies
        nothing, the others are applied.  Handlers must be idempotent: reprocessing
        applies every valid set again (events are deduplicated by their ids)."""
        self.ensure_one()
        try:
            interchange = interchange or self._edi_interchange()
        except x12.X12Error as exc:
            self._set_errors([_error_values(exc, level="file")])
            return
        # the partner's settings are checked once the envelope itself is readable
        envelope = list(interchange.errors) or self._edi_partner_errors(interchange)
        if envelope:
            self._set_errors([_error_values(error) for error in envelope])
            self._edi_answer_ta1(interchange, envelope[0].code or "024")
            return
        self.write({"state": "parsed", "event_prefix": f"x12/{interchange.control}/"})
        # events the handlers ingest are processed by ONE job queued once every set is
        # applied (not one job per set: a 100,000-set file would queue 100,000)
        exchange = self.with_context(logistics_sync_defer_processing=True)
        error_lines, answers, cache, applied = [], [], {}, False
        for segment in interchange.ta1:
            error = self._edi_apply_ta1(segment)
            if error:
                error_lines.append(_error_values(error, level="application"))
        for group in interchange.groups:
            results = []
            for transaction_set in group.sets:
                values, errors = self._edi_read_set(group, transaction_set)
                results.append((transaction_set, errors, values))
            answers.append((group, [(ts, errors) for ts, errors, _values in results]))
            error_lines += [_error_values(e, group, level="group") for e in group.errors]
            for transaction_set, errors, values in results:
                error_lines += [_error_values(e, group, transaction_set) for e in errors]
                if errors or group.errors:
                    continue  # rejected in the 997: nothing of it applied
                context = EdiSet(
                    exchange,
                    exchange.endpoint_id,
                    interchange,
                    group,
                    transaction_set,
                    values,
                    cache,
                )
                error = exchange._edi_apply(context)
                if error:
                    error_lines.append(_error_values(error, group, transaction_set, "application"))
                applied = True
        if applied:
            self.endpoint_id._enqueue_processing()
        if self.endpoint_id.edi_send_997 and not self.ack_exchange_id:
            self._edi_answer_997(interchange, answers)
        if error_lines:
            self._set_errors(error_lines)
        else:
            self.error_ids.unlink()
            self.write({"state": "processed", "error_summary": False})
        self.processed_at = fields.Datetime.now()

    def _edi_read_set(self, group, transaction_set):
        """``(values, errors)`` of one set: its envelope errors and its map's."""
        mapping = self._edi_x12_map(transaction_set.set_id, group.version)
        if mapping is None or transaction_set.set_id not in self._edi_x12_handlers():
            error = x12.X12Error(
                f"Transaction set {transaction_set.set_id} is not one this database reads "
                "(no map or no handler is installed for it).",
                position=transaction_set.position,
                segment_id="ST",
                element=1,
                code=x12.AK5_NOT_SUPPORTED,
                level="set",
                set_position=1,
            )
            return {}, [*transaction_set.errors, error]
        return x12map.read_set(transaction_set, mapping)

    def _edi_apply(self, context):
        """Run the set's handler in a savepoint; the X12Error of the
        EdiApplicationError it raised (its writes rolled back) or returned (its writes
        kept), else None."""
        handler = getattr(self, self._edi_x12_handlers()[context.transaction_set.set_id])
        try:
            with self.env.cr.savepoint():
                result = handler(context)
        except EdiApplicationError as exc:
            result = exc
        if not isinstance(result, EdiApplicationError):
            return None
        # raised: the set's writes are rolled back; returned: they are kept (a dead
        # letter the handler recorded on purpose), the exchange shows the error
        return x12.X12Error(
            result.message,
            position=result.position or context.transaction_set.position,
            segment_id=result.segment_id or "ST",
            element=result.element,
        )

    # ------------------------------------------------------------------ answers
    def _edi_answer_997(self, interchange, answers):
        """One 997 per received group (a 997 itself is never acknowledged)."""
        sets = [
            x12ack.build_997(group, results)
            for group, results in answers
            if group.functional_id != "FA"
        ]
        if sets:
            ack = self._edi_send_x12(self.endpoint_id, "997", sets, record=self)
            self.write({"ack_exchange_id": ack.id, "ack_status": "sent"})

    def _edi_answer_ta1(self, interchange, code):
        if not self.endpoint_id.edi_send_997:
            return
        now = fields.Datetime.now()
        ack = self._edi_send_x12(
            self.endpoint_id,
            "TA1",
            [],
            record=self,
            ta1=[x12ack.ta1_segment(interchange, code, now)],
        )
        self.write({"ack_exchange_id": ack.id, "ack_status": "sent"})

    # ------------------------------------------------------------------ outbound
    @api.model
    def _edi_send_x12(self, endpoint, doc_type, sets, record=None, file_name=None, ta1=None):
        """Write one interchange to ``endpoint`` and send it; returns its exchange.

        ``sets``: the transaction sets of ``doc_type``, each a list of body segments
        (lists, tag first, no ST/SE) or a dict of values its map renders.  Control
        numbers come from the partner's sequence (ISA13 = GS06), ST02 counts from
        0001; counts are computed.  ``record``: what the document came from.

        Whoever may cause the document may record its exchange: a stock user
        validating a transfer sends a document without rights on exchanges."""
        endpoint.ensure_one()
        # sudo: the exchange is the audit trail of a document the caller was allowed
        # to cause (its rights were checked on that record); the user stays its author
        exchanges = self.sudo()
        endpoint = endpoint.sudo()
        control = endpoint._edi_next_control()
        version = endpoint.edi_x12_version or "004010"
        out_sets = []
        for index, item in enumerate(sets, 1):
            body = item
            if isinstance(item, dict):
                body = x12map.render_set(exchanges._edi_x12_map(doc_type, version), item)
            out_sets.append(x12.OutSet(doc_type, f"{index:04d}", body))
        groups = []
        if out_sets:
            groups.append(
                x12.OutGroup(
                    FUNCTIONAL_IDS.get(doc_type, "ZZ"),
                    endpoint.edi_gs_code_own or endpoint.edi_isa_id_own or "",
                    endpoint.edi_gs_code_partner or endpoint.edi_isa_id_partner or "",
                    control,
                    version,
                    out_sets,
                )
            )
        text = x12.build_interchange(
            sender_qualifier=endpoint.edi_isa_qualifier_own or "ZZ",
            sender_id=endpoint.edi_isa_id_own or "",
            receiver_qualifier=endpoint.edi_isa_qualifier_partner or "ZZ",
            receiver_id=endpoint.edi_isa_id_partner or "",
            control=control,
            groups=groups,
            version=ISA_VERSIONS.get(version, "00401"),
            usage=endpoint.edi_usage or "T",
            ta1=ta1,
        )
        data = text.encode()
        expects_ack = doc_type not in ("997", "TA1") and endpoint.edi_ack_hours > 0
        now = fields.Datetime.now()
        name = file_name or f"{endpoint.code}_{doc_type}_{control:09d}.x12"
        exchange = exchanges.create(
            {
                "endpoint_id": endpoint.id,
                "direction": "out",
                "standard": "x12",
                "doc_type": doc_type if doc_type in _KNOWN_DOCS else "unknown",
                "interchange_control": f"{control:09d}",
                "group_control": str(control) if groups else False,
                "set_control": out_sets[0].control if out_sets else False,
                "set_count": len(out_sets),
                "sender": f"{endpoint.edi_isa_qualifier_own}/{endpoint.edi_isa_id_own or ''}",
                "receiver": f"{endpoint.edi_isa_qualifier_partner}/"
                f"{endpoint.edi_isa_id_partner or ''}",
                "usage": endpoint.edi_usage,
                "version": version,
                "state": "processed",
                "processed_at": now,
                "file_name": name,
                "file_sha256": hashlib.sha256(data).hexdigest(),
                "position_first": 1,
                "ack_status": "pending" if expects_ack else False,
                "ack_due_at": now + timedelta(hours=endpoint.edi_ack_hours)
                if expects_ack
                else False,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            }
        )
        exchange._attach(data, name)
        exchange._edi_transmit()
        return exchange.with_env(self.env)  # the caller's rights again

    def _edi_transmit(self):
        """Hand this outbound exchange's bytes to the partner's file channel
        (``_file_send``: an atomic upload queued on the endpoint's channel).

        The exchange follows its file (``_edi_file_done``): *sent* once the upload
        is done (the acknowledgement clock starts then), in error with the file's
        message when the upload fails for good (*Send again* queues a new upload).
        Without a channel (no transport or no outbound path) it stays *processed*:
        its file is attached for download."""
        self.ensure_one()
        # sudo: the transport is system configuration; whoever caused the document sends it
        endpoint = self.endpoint_id.sudo()
        if endpoint.file_transport == "none" or not endpoint.file_outbound_path:
            return False
        file = endpoint._file_send(self.file_name, self._raw(), record=self)
        exchange = self.sudo()
        values = {"file_id": file.id}
        upload_errors = exchange.error_ids.filtered(lambda line: line.level == "file")
        if upload_errors:  # an upload that failed before: this one may succeed
            upload_errors.unlink()
            if not exchange.error_ids:
                values.update(state="processed", error_summary=False)
        exchange.write(values)
        return True

    def _edi_file_done(self, file):
        """The upload of ``file`` (this outbound exchange's) is done or failed."""
        for exchange in self.sudo():
            if file.state == "sent":
                now = fields.Datetime.now()
                values = {"sent_at": now}
                exchange.error_ids.filtered(lambda line: line.level == "file").unlink()
                # still in error for another reason (the partner's rejection): kept
                if exchange.state == "processed" or (
                    exchange.state == "error" and not exchange.error_ids
                ):
                    values.update(state="sent", error_summary=False)
                if exchange.ack_status in ("pending", "overdue"):
                    hours = exchange.endpoint_id.edi_ack_hours
                    values.update(ack_status="pending", ack_due_at=now + timedelta(hours=hours))
                exchange.write(values)
            elif file.state == "failed":
                exchange._set_errors(
                    [
                        {
                            "level": "file",
                            "message": self.env._(
                                "The upload of %(file)s failed: %(error)s. Press Send again "
                                "once the partner's server can be reached.",
                                file=file.name,
                                error=file.error or "-",
                            ),
                        }
                    ]
                )
