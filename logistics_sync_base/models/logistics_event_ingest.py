# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Ingestion: the webhook's hot path from validated canonical events to stored rows."""

import json
from datetime import datetime

from odoo import api, models
from odoo.tools import SQL

from ..lib import canonical
from ..lib.errors import PermanentEventError


class LogisticsEvent(models.Model):
    _inherit = "logistics.event"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _ingest(
        self, endpoint, events, raw_single=None, originals=None, hook=None, lock_timeout=None
    ):
        """Store validated canonical events of one request; enqueue processing.

        Returns ``(status, body)``: 202 when at least one event is new, 200 when all
        are duplicates, 409 when an id was seen with other content (nothing stored).
        ``raw_single``: the request body when it held one event (stored verbatim);
        ``originals``: the sender's own payloads when they were mapped; ``hook``: the
        endpoint's cached ``WebhookSnapshot`` (saves reading the endpoint);
        ``lock_timeout``: how long a webhook may wait on a lock (then 503).

        The happy path is one ``INSERT ... ON CONFLICT DO NOTHING``; only ids it did
        not insert are looked up, to tell duplicates (200) from conflicts (409).
        """
        texts = [canonical.canonical_text(event) for event in events]
        by_id, conflicts = {}, set()
        for event, text in zip(events, texts, strict=False):
            digest = canonical.content_hash(event, text)
            seen = by_id.setdefault(event["event_id"], digest)
            if seen != digest:
                conflicts.add(event["event_id"])
        if conflicts:
            return self._conflict(conflicts)
        # A batch first looks up the ids stored already (one indexed query): a
        # re-sent event then never waits on the row lock of a job applying it.
        known = self._stored_hashes(endpoint, list(by_id)) if len(by_id) > 1 else {}
        conflicts = {ext_id for ext_id, digest in known.items() if digest != by_id[ext_id]}
        if conflicts:
            return self._conflict(conflicts)
        vals_list, planned = [], set(known)
        types = self._event_type_schemas()
        for index, event in enumerate(events):
            ext_id = event["event_id"]
            if ext_id in planned:
                continue
            planned.add(ext_id)
            values = canonical.to_values(event, types)
            if raw_single is not None:
                payload = raw_single
            elif originals:
                payload = json.dumps(originals[index], ensure_ascii=False)
            else:  # a canonical event of a batch: its canonical JSON
                payload = texts[index]
            values.update(payload=payload, payload_hash=by_id[ext_id])
            vals_list.append(values)
        inserted = self._insert_rows(endpoint, vals_list, hook, lock_timeout) if vals_list else {}
        leftover = [ext_id for ext_id in by_id if ext_id not in inserted and ext_id not in known]
        if leftover:
            stored = self._stored_hashes(endpoint, leftover)
            missing = [ext_id for ext_id in leftover if ext_id not in stored]
            if missing:  # stored by a transaction our snapshot cannot see
                stored.update(self._committed_hashes(endpoint, missing))
            conflicts = {ext_id for ext_id in leftover if stored.get(ext_id) != by_id[ext_id]}
            if conflicts:
                if inserted:
                    self.env.cr.execute(
                        SQL(
                            "DELETE FROM logistics_event WHERE id = ANY(%s)",
                            list(inserted.values()),
                        )
                    )
                return self._conflict(conflicts)
        statuses, answered = [], set()
        for event in events:
            ext_id = event["event_id"]
            new = ext_id in inserted and ext_id not in answered
            answered.add(ext_id)
            statuses.append({"event_id": ext_id, "status": "accepted" if new else "duplicate"})
        if not inserted:
            return 200, {"status": "duplicate", "events": statuses}
        endpoint._enqueue_processing(hook)
        return 202, {"status": "accepted", "events": statuses}

    @api.model
    def _event_type_schemas(self):
        """Typed events this database accepts: type name -> JSON Schema file path.

        Addons declare theirs by overriding this method (and adding the type to
        ``event_type``'s selection); an event whose ``type`` is not declared here is
        a milestone event (CONTRACT.md, version 1)."""
        return {}

    @api.model
    def _validate_payloads(self, events):
        """Schema errors of canonical events (see ``canonical.validate_events``)."""
        return canonical.validate_events(events, self._event_type_schemas())

    def _typed_payload(self):
        """The stored payload of this typed event, as the dict its schema validated
        (typed events are sent in the canonical shape, never through a mapping).

        Checked against its schema again (an event stored before a ``format`` was
        added, or by another path): a value the schema forbids can never be
        processed, so it is a ``PermanentEventError`` naming the field and why."""
        self.ensure_one()
        payload = json.loads(self.payload)
        errors = canonical.validate_events([payload], self._event_type_schemas())
        if errors:
            raise PermanentEventError(
                self.env._(
                    "The payload does not fit its schema: %(errors)s",
                    errors="; ".join(f"{e['field']}: {e['message']}" for e in errors),
                )
            )
        return payload

    @api.model
    def _conflict(self, external_ids):
        ids = sorted(external_ids)
        return 409, {
            "error": {
                "code": "conflict",
                "message": "event_id already received with different content: " + ", ".join(ids),
                "details": [{"event_id": ext_id} for ext_id in ids],
            }
        }

    def _stored_hashes(self, endpoint, external_ids):
        self.env.cr.execute(
            SQL(
                "SELECT external_id, payload_hash FROM logistics_event"
                " WHERE endpoint_id = %s AND external_id = ANY(%s)",
                endpoint.id,
                list(external_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _insert_rows(self, endpoint, vals_list, hook=None, lock_timeout=None):
        """Store new events with one ``INSERT ... ON CONFLICT DO NOTHING``.

        The ingestion hot path: values are converted by the fields themselves
        (``convert_to_column``), stored computed fields are filled here, and no
        mail.thread hook runs (events are created without tracking or log notes).
        Returns {external id: new id} of the rows inserted.
        """
        # to the microsecond (fields.Datetime.now() drops them): latency is read in ms
        now = datetime.now()
        uid = self.env.uid
        constant = {
            "endpoint_id": endpoint.id,
            "company_id": hook.company_id if hook else endpoint.company_id.id,
            "received_at": now,
            "state": "received",
            "attempts": 0,
            "replay_count": 0,
            "create_uid": uid,
            "write_uid": uid,
            "create_date": now,
            "write_date": now,
        }
        columns = list(vals_list[0]) + ["lag_seconds"] + list(constant)
        converters = [self._column_converter(self._fields[name]) for name in vals_list[0]]
        rows = []
        for vals in vals_list:
            row = [
                convert(value, self)
                for convert, value in zip(converters, vals.values(), strict=True)
            ]
            row.append((now - vals["occurred_at"]).total_seconds())
            row.extend(constant.values())
            rows.append(row)
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        # One round trip: the lock timeout (webhooks never wait long on a lock) and
        # the insert.  A row a concurrent transaction stored makes PostgreSQL raise a
        # serialization failure here (repeatable read); Odoo retries the request.
        prefix = f"SET LOCAL lock_timeout = {int(lock_timeout * 1000)}; " if lock_timeout else ""
        self.env.cr.execute(
            f"{prefix}INSERT INTO logistics_event ({', '.join(columns)}) VALUES "
            + ", ".join([placeholders] * len(rows))
            + " ON CONFLICT (endpoint_id, external_id) DO NOTHING RETURNING external_id, id",
            [value for row in rows for value in row],
            log_exceptions=False,  # conflicts are expected here: retried, then 503
        )
        return dict(self.env.cr.fetchall())

    @staticmethod
    def _column_converter(field):
        """``field.convert_to_column``, short-cut for the strings of plain Char and
        Text fields (which it returns unchanged) and absent floats (0.0): most of a
        batch's values."""
        if field.type == "float":

            def convert_float(value, record):
                if value is None or value is False:
                    return 0.0
                return field.convert_to_column(value, record)

            return convert_float
        if field.type not in ("char", "text") or field.translate or getattr(field, "size", None):
            return field.convert_to_column

        def convert(value, record):
            if value is None or value is False:
                return None
            if type(value) is str:
                return value
            return field.convert_to_column(value, record)

        return convert

    def _committed_hashes(self, endpoint, external_ids):
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT external_id, payload_hash FROM logistics_event"
                    " WHERE endpoint_id = %s AND external_id IN %s",
                    endpoint.id,
                    tuple(external_ids),
                )
            )
            return dict(cr.fetchall())
