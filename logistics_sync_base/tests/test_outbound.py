# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoint's outbound helpers: circuit breaker, transient or permanent, delays."""

import socket
from datetime import timedelta

import requests

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..adapters.errors import PermanentOutboundError, TransientOutboundError
from ..lib import retry
from odoo.addons.queue_job.exception import RetryableJobError

CIRCUIT_LOG = "odoo.addons.logistics_sync_base.models.logistics_endpoint_circuit"


def _closed_port():
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestOutbound(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.registry.test_cr:
            # the circuit writes in transactions of its own; in test mode they share ours
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync.allow_http_loopback", "True"
        )
        cls.endpoint = cls.env["logistics.endpoint"].create(
            {
                "name": "Test TMS",
                "code": "test-outbound",
                "kind": "tms",
                "base_url": "http://127.0.0.1:9",
                "retry_base_seconds": 10,
                "circuit_threshold": 2,
                "circuit_cooldown": 60,
            }
        )
        cls.endpoint.flush_recordset()

    def _raised(self, func, *args, **kwargs):
        """The exception ``func`` raised, its side effects kept (``assertRaises``
        rolls back what happened inside it: the circuit's counting, here)."""
        try:
            func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - returned for the test to check
            return exc
        self.fail(f"{func.__name__} raised nothing")

    def _failed(self, exc, attempt=1):
        caught = self._raised(self.endpoint._outbound_failed, exc, attempt)
        self.assertIsInstance(caught, RetryableJobError)
        return caught

    def _call(self, exc):
        """``exc`` raised inside ``_outbound_call``; what came out of it."""

        def call():
            with self.endpoint._outbound_call(attempt=1):
                raise exc

        return self._raised(call)

    def test_connection_error_retries_with_backoff_and_counts(self):
        url = f"http://127.0.0.1:{_closed_port()}/"
        with self.assertRaises(requests.ConnectionError) as refused:
            requests.get(url, timeout=2)
        caught = self._failed(refused.exception, attempt=3)
        # backoff with jitter: between half and the whole of base * 2**(attempt-1)
        self.assertTrue(20 <= caught.seconds <= 40, caught.seconds)
        self.assertFalse(caught.ignore_retry, "a failed call is an attempt")
        self.assertIn("connection failed", str(caught))
        self.assertEqual(self.endpoint.circuit_failures, 1)
        self.assertEqual(self.endpoint.circuit_state, "closed")

    @mute_logger(CIRCUIT_LOG)
    def test_retry_after_is_honoured_and_capped(self):
        caught = self._failed(TransientOutboundError("HTTP 429", 429, retry_after=7))
        self.assertEqual(caught.seconds, 7)
        caught = self._failed(TransientOutboundError("HTTP 503", 503, retry_after=86400))
        self.assertEqual(caught.seconds, retry.MAX_WAIT_SECONDS)
        self.assertEqual(self.endpoint.circuit_state, "open", "two failures: the threshold")
        self.assertEqual(self.endpoint.circuit_last_error, "HTTP 503")

    @mute_logger(CIRCUIT_LOG)
    def test_permanent_error_goes_through_and_closes_counting(self):
        self._failed(TransientOutboundError("timeout"))
        self.assertEqual(self.endpoint.circuit_failures, 1)
        self._failed(TransientOutboundError("timeout"))
        self.assertEqual(self.endpoint.circuit_failures, 2)
        bug = ValueError("our own bug")
        self.assertIs(self._raised(self.endpoint._outbound_failed, bug), bug)
        self.assertEqual(self.endpoint.circuit_failures, 2, "not an outbound failure")
        refused = PermanentOutboundError("HTTP 422: bad request", 422)
        self.assertIs(self._raised(self.endpoint._outbound_failed, refused), refused)
        self.assertEqual(self.endpoint.circuit_failures, 0, "it answered: the system is up")
        self.assertEqual(self.endpoint.circuit_state, "closed")

    @mute_logger(CIRCUIT_LOG)
    def test_open_circuit_waits_without_an_attempt_then_probes(self):
        for _i in range(2):
            self._failed(TransientOutboundError("HTTP 502", 502))
        self.assertEqual(self.endpoint.circuit_state, "open")
        caught = self._raised(self.endpoint._outbound_guard)
        self.assertIsInstance(caught, RetryableJobError)
        self.assertTrue(caught.ignore_retry, "waiting is not an attempt")
        self.assertTrue(1 <= caught.seconds <= 60, caught.seconds)
        self.assertIn("circuit open after 2 failures", str(caught))
        # the cooldown has passed: one probe goes out, its success closes the circuit
        self.endpoint.sudo().circuit_opened_at = fields.Datetime.now() - timedelta(minutes=5)
        self.endpoint.flush_recordset()
        with self.endpoint._outbound_call(attempt=1):
            self.assertEqual(self.endpoint.circuit_state, "half_open")
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertEqual(self.endpoint.circuit_failures, 0)

    def test_outbound_call_sorts_failures_and_lets_other_errors_through(self):
        self.assertIsInstance(
            self._call(TransientOutboundError("HTTP 500", 500)), RetryableJobError
        )
        self.assertEqual(self.endpoint.circuit_failures, 1)
        self.assertIsInstance(self._call(KeyError("shipment_id")), KeyError)
        self.assertEqual(self.endpoint.circuit_failures, 1, "not counted either way")
        refused = PermanentOutboundError("HTTP 409: stale_version", 409)
        self.assertIs(self._call(refused), refused)
        self.assertEqual(self.endpoint.circuit_failures, 0, "it answered")

    @mute_logger(CIRCUIT_LOG)
    def test_reset_button_closes_the_circuit(self):
        for _i in range(2):
            self._failed(TransientOutboundError("HTTP 502", 502))
        self.endpoint.action_reset_circuit()
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertEqual(self.endpoint.circuit_failures, 0)

    def test_unsafe_url_is_refused_when_saved(self):
        with self.assertRaisesRegex(ValidationError, "Endpoint Test TMS: "):
            with self.env.cr.savepoint():
                self.endpoint.base_url = "http://169.254.169.254/latest"
                self.endpoint.flush_recordset()
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.base_url, "http://127.0.0.1:9")
