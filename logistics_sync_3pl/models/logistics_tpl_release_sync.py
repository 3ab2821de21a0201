# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Sending documents to the 3PL: one job per release (first version, changes,
cancellation), the TMS releases' order of work (``logistics_sync_tms``):

- the job claims its release (advisory lock, ``lib.locks.claim``): the calls of
  one release never overlap, and no row lock is held while the 3PL answers, so
  a user's change of the transfer never waits;
- the request in flight (operation, version, idempotency key, body) is stored in
  a transaction of its own before the call: a retry sends exactly it again;
- the answer is applied in a transaction of its own if the request is still the
  one in flight, then the next change (a newer version, a cancellation) is
  queued after it;
- transient failures retry through base's ``jobs.run_job`` and the endpoint's
  circuit breaker (``_outbound_call``); a refusal (4xx) is an exception with an
  activity for the endpoint's responsible.
"""

import json

from odoo import fields, models

from ..adapters import PermanentTplError
from ..lib import documents
from odoo.addons.logistics_sync_base.jobs import record_outside


class LogisticsTplRelease(models.Model):
    _inherit = "logistics.tpl.release"  # pylint: disable=consider-merging-classes-inherited

    def _job_tpl_sync(self):
        """Bring the 3PL up to date with this release's transfer (a queue_job job;
        base's ``logistics.release.mixin``: the request in flight and the error
        kept outside the job's transaction before a retry)."""
        return self._release_run_sync()

    def _release_sync(self, memo):
        return self._tpl_sync(memo)

    def _tpl_sync(self, memo):
        self._release_lock()
        if self.pending_op:
            # a previous attempt's request goes out first, unchanged (same key, same body)
            memo["pending"] = self._release_pending_values()
            return self._tpl_send(memo["pending"], then_next=True)
        operation = self._tpl_next_op(memo)
        if operation in (None, "blocked"):
            return operation or "up to date"
        if operation == "cancel_local":
            self.write({"state": "cancelled"})
            self.picking_id.message_post(
                body=self.env._("3PL document cancelled before it was sent: nothing sent.")
            )
            return "cancelled before any call"
        record_outside(self.env, lambda env: env[self._name].browse(self.id).write(memo["pending"]))
        return self._tpl_send(memo["pending"])

    def _tpl_key_prefix(self):
        return self._release_key_prefix()

    def _tpl_next_op(self, memo):
        """What the transfer needs now; the request goes to ``memo["pending"]``."""
        if self.state in ("cancelled", "confirmed"):
            return None
        picking = self.picking_id
        if self.cancel_requested or picking.state == "cancel":
            if not self.sent_version:
                return "cancel_local"
            version = self.sent_version + 1
            body = {
                "document_id": self.name,
                "version": version,
                "reason": self.env._("Transfer %(name)s cancelled in Odoo", name=picking.name),
            }
            self._tpl_prepare("cancel", version, body, memo)
            return "cancel"
        if picking.state == "done":
            return None  # validated in Odoo (by its confirmation): nothing more to send
        doc = self._document(self.sent_version or 1)
        if self.sent_version and documents.fingerprint(doc) == self.sent_hash:
            return None
        problems = documents.validate_document(doc)
        if problems:
            reason = "; ".join(problems)
            if self.state != "blocked" or self.block_reason != reason:
                self.write({"state": "blocked", "block_reason": reason})
                self.picking_id.message_post(
                    body=self.env._("3PL release blocked: %(reason)s", reason=reason)
                )
            return "blocked"
        version = self.sent_version + 1 if self.sent_version else 1
        doc["version"] = version
        self._tpl_prepare("send", version, doc, memo)
        return "send"

    def _tpl_prepare(self, operation, version, body, memo):
        key = documents.idempotency_key(self._tpl_key_prefix(), self.name, version, operation)
        memo["pending"] = {
            "pending_op": operation,
            "pending_key": key,
            "pending_payload": json.dumps(body, sort_keys=True),
            "version": version,
        }

    def _tpl_send(self, pending, then_next=False):
        """Send the stored request in flight (no lock held, nothing written in the
        job's transaction); its answer is applied outside, if still in flight."""
        endpoint = self.endpoint_id
        client = endpoint._tpl_client()
        operation, body = pending["pending_op"], json.loads(pending["pending_payload"])
        key = pending["pending_key"]
        refused = answer = None
        try:
            with endpoint._outbound_call(attempt=self.attempts + 1):
                if operation == "send":
                    answer = client.send(body, key)
                else:
                    answer = client.cancel(
                        body["document_id"], body["version"], body["reason"], key
                    )
        except PermanentTplError as exc:
            refused = exc

        def apply(env):
            release = env[self._name].browse(self.id)
            if release.pending_key != key:
                return f"answer to {key} not applied (another request is in flight)", False
            if refused is not None:
                return release._tpl_refused(refused), False
            result = release._tpl_stored(operation, body, answer)
            more = then_next and release._tpl_next_op({}) not in (None, "blocked")
            return result, more

        result, more = record_outside(self.env, apply)
        if more:
            self._tpl_enqueue()
        return result

    def _tpl_stored(self, operation, body, answer):
        values = {
            "pending_op": False,
            "pending_payload": False,
            "pending_key": False,
            "last_error": False,
            "attempts": 0,
            "block_reason": False,
            "last_answer": json.dumps(answer, sort_keys=True)[:2000],
            "sent_version": body["version"],
            "version": body["version"],
            "sent_at": fields.Datetime.now(),
        }
        if operation == "cancel":
            values["state"] = "cancelled"
            self.write(values)
            self.picking_id.message_post(
                body=self.env._(
                    "3PL document %(ref)s cancelled at the 3PL (version %(v)s).",
                    ref=self.name,
                    v=body["version"],
                )
            )
            return f"cancelled v{body['version']}"
        values.update(
            sent_hash=documents.fingerprint(body),
            last_document=json.dumps(body, sort_keys=True, indent=1),
            exception=False,
            exception_reason=False,
        )
        if self.state in ("queued", "blocked"):
            values["state"] = "sent"
        self.write(values)
        return f"v{body['version']} stored by the 3PL"

    def _tpl_refused(self, exc):
        reason = self.env._(
            "The 3PL refused %(op)s v%(v)s of %(ref)s: %(error)s",
            op=self.pending_op,
            v=self.version,
            ref=self.name,
            error=exc.message,
        )
        return self._release_refused(
            reason, self.env._("3PL refused a document: %(ref)s", ref=self.name)
        )
