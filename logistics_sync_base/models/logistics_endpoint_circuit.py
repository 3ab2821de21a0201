# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Outbound reliability of an endpoint: timeout, circuit breaker, and the two
helpers every job that calls out uses.

A job that calls the external system::

    endpoint._outbound_guard()          # circuit open: RetryableJobError(seconds=wait)
    try:
        answer = client.create(...)     # an adapter raising OutboundError subclasses
    except OutboundError as exc:
        endpoint._outbound_failed(exc)  # transient: RetryableJobError; permanent: re-raised
    endpoint._outbound_succeeded()

(or ``with endpoint._outbound_call(): ...``).  Transient failures (timeouts,
connection errors, 429, 5xx, an outage) count on the circuit and become
``RetryableJobError`` with the other side's ``Retry-After`` or exponential
backoff with jitter; permanent ones (the other side answered: it is up) go
through unchanged, for the caller to fail or dead-letter the work.
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

import psycopg2
import requests

from odoo import fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..adapters import http
from ..adapters.errors import OutboundError, PermanentOutboundError, TransientOutboundError
from ..jobs import record_outside
from ..lib.retry import MAX_WAIT_SECONDS, retry_delay
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

CIRCUIT_TRIES = 5

TRANSPORT_MESSAGES = {
    "connect_timeout": "could not connect within the timeout",
    "read_timeout": "no answer within the timeout",
    "connection": "the connection failed or was reset",
}


def as_outbound_error(exc):
    """An adapter's error, or a raw ``requests`` exception, as an ``OutboundError``."""
    if isinstance(exc, OutboundError):
        return exc
    if isinstance(exc, requests.RequestException):
        kind = http.transport_failure(exc)
        if kind in http.TRANSIENT_TRANSPORT:
            return TransientOutboundError(TRANSPORT_MESSAGES[kind])
        return PermanentOutboundError(f"the request could not be sent ({type(exc).__name__})")
    return None


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    http_timeout = fields.Float(
        string="Timeout (s)", default=10.0, help="Connect and read timeout of every call."
    )
    circuit_threshold = fields.Integer(
        string="Failures before pausing",
        default=5,
        help="Consecutive failed calls after which the circuit opens.",
    )
    circuit_cooldown = fields.Integer(
        string="Cooldown (s)",
        default=60,
        help="Seconds the circuit stays open before one probe call is let through.",
    )
    circuit_state = fields.Selection(
        [
            ("closed", "Healthy"),
            ("open", "Calls paused"),
            ("half_open", "Testing"),
        ],
        string="Circuit breaker",
        help="Healthy: calls flow. Calls paused: the circuit opened after repeated "
        "failures; no call is made until the cooldown ends. Testing: one probe call is "
        "let through; its answer closes or reopens the circuit.",
        default="closed",
        required=True,
        readonly=True,
        copy=False,
    )
    circuit_failures = fields.Integer(string="Consecutive failures", readonly=True, copy=False)
    circuit_opened_at = fields.Datetime(string="Calls paused since", readonly=True, copy=False)
    circuit_last_error = fields.Char(string="Last call error", readonly=True, copy=False)

    _sql_constraints = [
        (
            "circuit_threshold_positive",
            "CHECK(circuit_threshold >= 1)",
            "The circuit threshold must be at least 1.",
        ),
        ("http_timeout_positive", "CHECK(http_timeout > 0)", "The timeout must be positive."),
    ]

    # -------------------------------------------------------- circuit breaker
    # The circuit lives on the endpoint row and changes in transactions of its own:
    # a job that rolls back still counts its failure, and every worker reads the
    # latest state (not its job's snapshot).
    def _circuit_allows(self):
        """``(True, 0)`` when a call may go out, else ``(False, seconds to wait)``.

        Open -> after the cooldown, one caller moves it to half-open and probes.
        """
        self.ensure_one()
        if self.circuit_state == "closed":
            # The common case costs no transaction of its own.  The value comes from
            # this job's snapshot: at worst one call goes out just after another
            # worker opened the circuit, and its outcome is counted.
            return True, 0
        return self._circuit_transition("check")

    def _circuit_record(self, ok, error=None):
        """Count a call's outcome."""
        self.ensure_one()
        if ok and self.circuit_state == "closed" and not self.circuit_failures:
            return  # nothing to reset (the common case, no transaction of its own)
        self._circuit_transition("success" if ok else "failure", error)

    def _circuit_transition(self, what, error=None):
        now = fields.Datetime.now()
        # On a second connection (jobs.record_outside, with its lock timeout).
        # FOR NO KEY UPDATE, not FOR UPDATE: the caller's own transaction may hold a
        # key-share lock on this row (it inserted events referencing the endpoint),
        # and FOR UPDATE would then wait for it forever.

        def transition(env):
            cr = env.cr
            result = (True, 0)
            cr.execute(
                SQL(
                    "SELECT circuit_state, circuit_failures, circuit_opened_at, circuit_threshold,"
                    " circuit_cooldown FROM logistics_endpoint WHERE id = %s FOR NO KEY UPDATE",
                    self.id,
                ),
                log_exceptions=False,  # another caller's transition meanwhile: done again
            )
            state, failures, opened_at, threshold, cooldown = cr.fetchone()
            failures, values = failures or 0, {}
            if what == "check" and state in ("open", "half_open"):
                # open: wait for the cooldown, then this caller probes (half-open);
                # half-open: a probe is out; if it never reported back within the
                # cooldown (its worker died), this caller probes again.
                reopen = (opened_at or now) + timedelta(seconds=cooldown or 0)
                if now < reopen:
                    wait = (
                        (reopen - now).total_seconds() if state == "open" else (cooldown or 4) / 4
                    )
                    result = (False, max(1, int(wait)))
                else:
                    values = {"circuit_state": "half_open", "circuit_opened_at": now}
            elif what == "success":
                if state != "closed" or failures:
                    values = {
                        "circuit_state": "closed",
                        "circuit_failures": 0,
                        "circuit_opened_at": False,
                    }
            else:
                values = {
                    "circuit_failures": failures + 1,
                    "circuit_last_error": str(error or "")[:250],
                }
                if state == "half_open" or failures + 1 >= (threshold or 1):
                    values.update(circuit_state="open", circuit_opened_at=now)
            if values:
                record = env[self._name].browse(self.id)
                record.write(values)
                new_state = values.get("circuit_state", state)
                if new_state != state:
                    log = _logger.warning if new_state == "open" else _logger.info
                    log("Endpoint %s: circuit %s -> %s", self.code, state, new_state)
                    record.message_post(
                        body=self.env._(
                            "Circuit %(old)s -> %(new)s. %(error)s",
                            old=state,
                            new=new_state,
                            error=values.get("circuit_last_error") or "",
                        )
                    )
            return result

        for attempt in range(CIRCUIT_TRIES):
            try:
                result = record_outside(self.env, transition, invalidate=False)
                break
            except psycopg2.errors.SerializationFailure:
                # a concurrent caller changed the row after this transaction's
                # snapshot (many jobs failing at once): its new state is read again
                if attempt == CIRCUIT_TRIES - 1:
                    raise
        self.invalidate_recordset(
            ["circuit_state", "circuit_failures", "circuit_opened_at", "circuit_last_error"]
        )
        return result

    def action_reset_circuit(self):
        """Button (managers): close the circuit now; refused to others, over RPC too."""
        if not (
            self.env.su
            or self.env.user.has_group("logistics_sync_base.group_logistics_sync_manager")
        ):
            raise AccessError(
                self.env._("Only Logistics Sync managers may close an endpoint's circuit.")
            )
        for endpoint in self:
            endpoint._circuit_transition("success")
        return True

    # ------------------------------------------------------- outbound helpers
    def _outbound_guard(self):
        """Before a call: raise ``RetryableJobError`` (not counted as an attempt)
        with the seconds to wait while the circuit is open."""
        self.ensure_one()
        allowed, wait = self._circuit_allows()
        if not allowed:
            raise RetryableJobError(
                self.env._(
                    "%(name)s is unavailable (circuit open after %(n)s failures); "
                    "next try in %(s)s s.",
                    name=self.name,
                    n=self.circuit_failures,
                    s=wait,
                ),
                seconds=wait,
                ignore_retry=True,
            )

    def _outbound_succeeded(self):
        """After a call answered as expected: the circuit closes if it was not."""
        self.ensure_one()
        self._circuit_record(True)

    def _outbound_attempt(self):
        """The number of this try (1 for the first) of the queue job running now."""
        job_uuid = self.env.context.get("job_uuid")
        if not job_uuid:
            return 1
        # sudo: queue.job is technical (administrators only); only the running job's
        # retry count is read
        job = self.env["queue.job"].sudo().search([("uuid", "=", job_uuid)], limit=1)
        return (job.retry or 0) + 1

    def _outbound_retry_seconds(self, exc, attempt=None):
        """Count a failed call on the circuit; the seconds before the next try, or
        ``None`` when trying again will not help (the error is permanent).

        ``exc``: an ``OutboundError`` or a ``requests`` exception.  A permanent
        error with an answer counts as a success (the other side is up).
        """
        self.ensure_one()
        error = as_outbound_error(exc)
        if error is None or isinstance(error, PermanentOutboundError):
            if error is not None and error.answered:
                self._circuit_record(True)
            return None
        self._circuit_record(False, error.message)
        attempt = attempt or self._outbound_attempt()
        return retry_delay(
            attempt,
            retry_after=getattr(error, "retry_after", None),
            base=self.retry_base_seconds or 30,
            cap=MAX_WAIT_SECONDS,
        )

    def _outbound_failed(self, exc, attempt=None):
        """Sort a failed call: transient -> ``RetryableJobError(seconds=...)``
        (backoff with jitter, or the other side's Retry-After), counted on the
        circuit; permanent -> ``exc`` raised again unchanged."""
        seconds = self._outbound_retry_seconds(exc, attempt)
        if seconds is None:
            raise exc
        message = getattr(exc, "message", None) or as_outbound_error(exc).message
        raise RetryableJobError(
            self.env._("%(name)s: %(error)s", name=self.name, error=message), seconds=seconds
        ) from exc

    @contextmanager
    def _outbound_call(self, attempt=None):
        """``_outbound_guard``, then the block, then ``_outbound_succeeded`` or
        ``_outbound_failed`` (other exceptions pass through untouched)."""
        self._outbound_guard()
        try:
            yield self
        except (OutboundError, requests.RequestException) as exc:
            self._outbound_failed(exc, attempt)
        self._outbound_succeeded()
