# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Sending releases to the TMS: one job per release (real time, changes, cancels)
or one call per batch of releases (batch windows, ``logistics.endpoint._job_tms_batch``).

queue_job conventions, with base's outbound machinery: the circuit breaker is
asked before each call, transient failures raise ``RetryableJobError`` with the
TMS's Retry-After or backoff with jitter, through base's ``jobs.run_job``.  The
request in flight (version, idempotency key, body) is stored in a transaction of
its own before the call (one release) or before the retry (a batch window), so a
retry sends exactly the same request: the TMS stores each version once.  No
release is locked while the TMS answers (``lib.locks.claim``: an advisory lock
serialises the jobs of a release), so a user's change of the transfer never
waits; the answer is applied in a transaction of its own, if the request is
still the one in flight.
"""

import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..adapters import PermanentTmsError
from ..lib import release as release_lib
from odoo.addons.logistics_sync_base.jobs import Retry, record_outside
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)


class LogisticsTmsRelease(models.Model):
    _inherit = "logistics.tms.release"

    # ------------------------------------------------------------ one release
    def _job_tms_sync(self):
        """Bring the TMS up to date with this release's transfer (a queue_job job).

        Through ``jobs.run_job`` (base's ``logistics.release.mixin``): a transient
        failure stores the request in flight and the error outside the job's
        transaction, then retries."""
        return self._release_run_sync()

    def _release_sync(self, memo):
        return self._tms_sync(memo)

    def _tms_lock(self):
        self._release_lock()

    def _tms_sync(self, memo):
        self._tms_lock()
        if self.pending_op:
            # a previous attempt's request goes out first, unchanged (same key, same body)
            memo["pending"] = self._release_pending_values()
            return self._tms_send_pending(memo["pending"], then_next=True)
        self._tms_prefetch_request()
        prepared = {}
        operation = self._tms_next_op(prepared=prepared)
        if not operation:
            return "up to date"
        if operation == "cancel_local":
            self.write({"state": "cancelled", "cancel_requested": True})
            self.picking_id.message_post(
                body=self.env._("Release cancelled before it reached the TMS: nothing sent.")
            )
            return "cancelled before any call"
        if operation == "blocked":
            return "blocked"
        doc = prepared.pop("doc")
        prepared.pop("digest", None)
        memo["pending"] = dict(prepared, pending_payload=json.dumps(doc, sort_keys=True))
        # the request in flight is stored before the call, in a transaction of its
        # own: a crash during the call re-sends exactly it (same version, key, body)
        record_outside(
            self.env,
            lambda env: env[self._name].browse(self.id)._tms_store_pending(memo["pending"]),
        )
        return self._tms_send_pending(memo["pending"])

    def _tms_store_pending(self, pending):
        values = dict(pending, block_reason=False)
        if self.state in ("draft", "blocked"):
            values["state"] = "queued"
        self.write(values)

    def _tms_key_prefix(self):
        return self._release_key_prefix()

    def _tms_next_op(self, prepared=None):
        """What the transfer needs now; prepares the request in flight (pending_*),
        written on the release, or only into ``prepared`` (batch windows: written
        with the TMS's answer, or before a retry)."""
        if self.state == "cancelled":
            return None
        if prepared is None:
            self._tms_prefetch_request()  # a batch prefetches for all its releases
        picking = self.picking_id
        if self.cancel_requested or picking.state == "cancel":
            if not self.tms_ref:
                return "cancel_local"
            body = {
                "release_id": self.name,
                "version": self.version,
                "reason": self.env._("Transfer %(name)s cancelled in Odoo", name=picking.name),
            }
            self._tms_prepare("cancel", self.version, body, prepared)
            return "cancel"
        doc = self._request(self.version or 1)
        digest = release_lib.fingerprint(doc)
        if self.sent_version and digest == self.sent_hash:
            return None
        problems = release_lib.validate_request(doc)
        if problems:
            reason = "; ".join(problems)
            if self.state != "blocked" or self.block_reason != reason:
                self.write({"state": "blocked", "block_reason": reason})
                self.picking_id.message_post(
                    body=self.env._("TMS release blocked: %(reason)s", reason=reason)
                )
            return "blocked"
        operation = "update" if self.tms_ref else "create"
        version = (self.version or 0) + 1 if self.sent_version else max(self.version, 1)
        doc["version"] = version
        self._tms_prepare(operation, version, doc, prepared)
        if prepared is not None:
            prepared["digest"] = digest  # the version is no part of it
        return operation

    def _tms_prepare(self, operation, version, body, prepared=None):
        key = release_lib.idempotency_key(self._tms_key_prefix(), self.name, version, operation)
        values = {"pending_op": operation, "pending_key": key, "version": version}
        if prepared is not None:
            # the body itself: serialised only if it has to be kept for a retry
            prepared.update(values, doc=body)
            return
        values.update(
            pending_payload=json.dumps(body, sort_keys=True),
            state=self.state if self.state not in ("draft", "blocked") else "queued",
            block_reason=False,
        )
        self.write(values)

    def _tms_send_pending(self, pending, then_next=False):
        """Send the stored request in flight, with no lock and nothing written in
        the job's transaction; its answer is applied outside the job's transaction
        (the release may have changed meanwhile: a user's change of the transfer),
        if the request is still the one in flight (else only kept as the last
        answer).  ``then_next``: a newer change waits, queued after this one."""
        endpoint = self.endpoint_id
        client = endpoint._tms_client()
        operation, body = pending["pending_op"], json.loads(pending["pending_payload"])
        key, tms_ref = pending["pending_key"], self.tms_ref
        try:
            with endpoint._outbound_call(attempt=self.attempts + 1):
                if operation == "create":
                    answer = client.create(body, key)
                elif operation == "update":
                    answer = client.update(tms_ref, body, key)
                else:
                    answer = client.cancel(tms_ref, self.name, body["version"], body["reason"], key)
        except PermanentTmsError as exc:
            refused = exc
        else:
            refused = None

        def apply(env):
            """(what the job returns, whether a newer change waits)"""
            release = env[self._name].browse(self.id)
            if release.pending_key != key:
                # stale: another request is in flight now; keep the answer, apply nothing
                answer_text = json.dumps(refused and refused.message or answer, sort_keys=True)
                release.write({"last_answer": answer_text[:2000]})
                return f"answer to {key} kept, not applied (another request is in flight)", False
            if refused is not None:
                return release._tms_refused(refused), False
            result = release._tms_stored(operation, body, answer)
            return result, bool(then_next and release._tms_next_op())

        result, more = record_outside(self.env, apply)
        if more:
            self._tms_enqueue()  # the next change, in a job of its own, after this one
        return result

    def _tms_stored(self, operation, body, answer):
        """The TMS stored the request: the release moves on."""
        now = fields.Datetime.now()
        values = {
            "pending_op": False,
            "pending_payload": False,
            "pending_key": False,
            "last_key": self.pending_key,
            "last_error": False,
            "attempts": 0,
            "last_answer": json.dumps(answer, sort_keys=True)[:2000],
        }
        if operation == "cancel":
            values.update(state="cancelled", ack_deadline=False, exception=False)
            self.write(values)
            self.picking_id.message_post(
                body=self.env._("Release cancelled at the TMS (%(ref)s).", ref=self.tms_ref)
            )
            return f"cancelled {self.tms_ref}"
        if self.answer_version < body["version"]:
            # the TMS may have answered already (an answer lost with the call's, a
            # retry replaying it): its answers keep the lead
            values["state"] = "sent"
        values.update(
            sent_version=body["version"],
            sent_hash=release_lib.fingerprint(body),
            sent_at=now,
            ack_deadline=now + timedelta(minutes=self.endpoint_id.tms_ack_minutes or 30),
            ack_alerted=False,
            exception=False,
            exception_reason=False,
            rejection_reason=False,
        )
        if operation == "create":
            values["tms_ref"] = answer.get("shipment_id") or False
        self.write(values)
        return f"{operation} v{body['version']} stored as {self.tms_ref}"

    def _tms_refused(self, exc):
        """The TMS refused the request (a 4xx): stored, shown, an exception."""
        reason = self.env._(
            "The TMS refused %(op)s v%(v)s: %(error)s",
            op=self.pending_op,
            v=self.version,
            error=exc.message,
        )
        return self._release_refused(
            reason, self.env._("TMS refused a release: %(ref)s", ref=self.name)
        )

    def _tms_job_failed(self, error):
        """The sync job gave up (see ``queue.job.write``): an exception, said once per
        failed job, on the release, its transfer and so its sales order."""
        for release in self:
            reason = self.env._(
                "Release %(ref)s not sent to %(tms)s after %(n)s attempts: %(error)s",
                ref=release.name,
                tms=release.endpoint_id.name,
                n=release.attempts,
                error=(error or release.last_error or "").strip()[:500],
            )
            release.write(
                {
                    "last_error": reason[:2000],
                    "exception": True,
                    "exception_reason": reason[:250],
                }
            )
            release.picking_id.message_post(body=reason)
            release._tms_alert(self.env._("TMS release failed: %(ref)s", ref=release.name), reason)

    # ------------------------------------------------------------ batch windows
    def _tms_send_batch(self, endpoint, memo=None):
        """One call for these releases (creates): returns how many the TMS stored.

        Built and stored with few queries: the requests are read for the whole
        batch at once (prefetch), nothing is written before the call (the
        requests in flight go to ``memo["in_flight"]``, stored by
        ``_tms_batch_error`` should the call fail), and the answers are stored
        with one UPDATE for the batch, outside the job's transaction: no release
        is locked while the TMS answers."""
        memo = {} if memo is None else memo
        self._tms_lock()
        self._tms_prefetch_request()
        todo, docs, pendings, digests, cancelled = [], [], [], [], []
        for release in self:
            if release.pending_op == "create":
                pending = release._release_pending_values()
                doc = json.loads(release.pending_payload)
                digest = release_lib.fingerprint(doc)
            elif release.pending_op or release.tms_ref or release.state == "cancelled":
                continue  # an update or cancel in flight: its own job
            else:
                pending = {}
                operation = release._tms_next_op(prepared=pending)
                if operation == "cancel_local":
                    cancelled.append(release.id)
                    continue
                if operation != "create":
                    continue
                doc = pending.pop("doc")
                digest = pending.pop("digest")
            todo.append(release.id)
            docs.append(doc)
            pendings.append(pending)
            digests.append(digest)
        if not todo:
            self.browse(cancelled).write({"state": "cancelled", "cancel_requested": True})
            return 0
        todo = self.browse(todo)
        digest = release_lib.fingerprint({"items": [[d["release_id"], d["version"]] for d in docs]})
        key = f"{self._tms_key_prefix()}-batch-{digest[:32]}"
        # the same requests (versions, keys, bodies) go out again on a retry
        memo["in_flight"] = [
            (release_id, dict(values, state="queued"), doc)
            for release_id, values, doc in zip(todo.ids, pendings, docs, strict=True)
        ]
        client = endpoint._tms_client()
        with endpoint._outbound_call():
            results = client.create_batch(docs, key)
        stored, rows, refused = [], [], []
        answers = zip(todo, docs, digests, pendings, results, strict=True)
        for release, doc, digest, pending, result in answers:
            if result.get("shipment_id"):
                stored.append(release.id)
                rows.append(
                    SQL(
                        "(%s, %s, %s, %s, %s, %s)",
                        release.id,
                        result["shipment_id"],
                        doc["version"],
                        digest,
                        pending.get("pending_key") or release.pending_key,
                        json.dumps(result, sort_keys=True),
                    )
                )
            else:
                error = result.get("error") or {}
                refused.append(
                    (release.id, PermanentTmsError(f"{error.get('code')}: {error.get('message')}"))
                )

        def apply(env):
            Release = env[self._name]
            Release.browse(cancelled).write({"state": "cancelled", "cancel_requested": True})
            for release_id, exc in refused:
                Release.browse(release_id)._tms_refused(exc)
            if stored:
                Release.browse(stored)._tms_stored_batch(rows)

        record_outside(self.env, apply)
        return len(stored)

    @api.model
    def _tms_batch_error(self, exc, memo):
        """``run_job``'s ``on_error`` for a batch window's job: TMS trouble keeps the
        requests in flight (the same versions, keys and bodies go out again)."""
        if not isinstance(exc, RetryableJobError):
            return None
        in_flight = memo.get("in_flight") or []

        def record(env):
            Release = env[self._name]
            for release_id, values, doc in in_flight:
                values = dict(values)
                values.setdefault("pending_payload", json.dumps(doc, sort_keys=True))
                Release.browse(release_id).write(values)
            return Retry(str(exc), exc.seconds, exc.ignore_retry)

        return record

    def _tms_stored_batch(self, rows):
        """The TMS stored these releases (one row each: id, shipment id, version,
        digest, key, answer): one UPDATE for all, then what depends on them follows."""
        now = fields.Datetime.now()
        deadline = now + timedelta(minutes=self.endpoint_id[:1].tms_ack_minutes or 30)
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE logistics_tms_release AS r SET tms_ref = v.tms_ref, version = v.version,"
                " sent_version = v.version, sent_hash = v.digest, last_key = v.key,"
                " last_answer = v.answer, pending_op = NULL, pending_key = NULL,"
                " pending_payload = NULL, last_error = NULL, attempts = 0, sent_at = %s,"
                " ack_deadline = %s, ack_alerted = FALSE, exception = FALSE,"
                " exception_reason = NULL, rejection_reason = NULL,"
                # answers that arrived first keep the lead (see _tms_stored)
                " state = CASE WHEN COALESCE(r.answer_version, 0) < v.version THEN 'sent' ELSE r.state END,"
                " write_date = %s, write_uid = %s"
                " FROM (VALUES %s) AS v(id, tms_ref, version, digest, key, answer)"
                " WHERE r.id = v.id",
                now,
                deadline,
                now,
                self.env.uid,
                SQL(", ").join(rows),
            )
        )
        names = [
            "tms_ref",
            "version",
            "sent_version",
            "sent_hash",
            "last_key",
            "last_answer",
            "pending_op",
            "pending_key",
            "pending_payload",
            "last_error",
            "attempts",
            "sent_at",
            "ack_deadline",
            "ack_alerted",
            "exception",
            "exception_reason",
            "rejection_reason",
            "state",
            "write_date",
            "write_uid",
        ]
        self.invalidate_recordset(names)
        self.modified(names)

    def _tms_batch_waiting(self, endpoint):
        """The releases of ``endpoint`` waiting for its window (SQL condition).
        An exception (the TMS refused it in a batch, its job gave up) waits for
        someone to send it again (*Send again*, or a change of its transfer)."""
        self.flush_model(["endpoint_id", "state", "tms_ref", "pending_op", "exception"])
        return SQL(
            "endpoint_id = %s AND state IN ('draft', 'queued') AND tms_ref IS NULL"
            " AND (pending_op IS NULL OR pending_op = 'create') AND exception IS NOT TRUE",
            endpoint.id,
        )

    def _tms_batch_due_count(self, endpoint):
        """How many releases of ``endpoint`` wait for its window."""
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM logistics_tms_release WHERE %s",
                self._tms_batch_waiting(endpoint),
            )
        )
        return self.env.cr.fetchone()[0]

    def _tms_batch_due(self, endpoint, limit):
        """Up to ``limit`` releases of ``endpoint`` waiting for its window, claimed
        for this job (advisory locks, ``lib.locks.claim``: no row lock, a user's
        change of a transfer never waits for the TMS); those another job of the
        window holds are skipped (it sends them)."""
        # the subquery is sorted first (ORDER BY ... OFFSET 0 is not flattened), so
        # the try-lock runs on rows in order and stops at the limit
        self.env.cr.execute(
            SQL(
                "SELECT id FROM (SELECT id FROM logistics_tms_release WHERE %s"
                " ORDER BY id OFFSET 0) AS waiting"
                " WHERE pg_try_advisory_xact_lock('logistics_tms_release'::regclass::oid::int, id)"
                " LIMIT %s",
                self._tms_batch_waiting(endpoint),
                limit,
            )
        )
        releases = self.browse([row[0] for row in self.env.cr.fetchall()])
        releases._tms_lock()  # the same locks again, and the check of the snapshot
        return releases
