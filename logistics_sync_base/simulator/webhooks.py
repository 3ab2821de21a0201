# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Scheduled work and signed webhook deliveries of the simulators.

``Scheduler`` runs callables at given times on one background thread.
``WebhookSender`` POSTs JSON documents there, signed either ``native`` (hex
HMAC-SHA256 of the body in a header the simulator names) or per Standard
Webhooks v1 (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``,
secret ``whsec_<base64>``); a duplicate-rate knob sends some twice; failed
deliveries are retried as real webhook senders do, with exponential backoff:
``retries`` times (the ``webhook_retries`` knob, default ``RETRIES``), 1, 2, 4 ...
seconds after the failure (at most ``MAX_RETRY_PAUSE``), about a minute in all by
default, so that a receiver restarting for a few seconds loses nothing.
Receivers are loopback URLs only; redirects count as failures.
"""

import base64
import binascii
import hashlib
import heapq
import hmac
import http.client
import itertools
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .server import compact_json

_logger = logging.getLogger("simulator")

TIMEOUT = 5
RETRIES = 6
FIRST_RETRY_PAUSE = 1.0
MAX_RETRY_PAUSE = 30.0
FORMATS = ("native", "canonical")


def standard_webhooks_key(secret):
    """The HMAC key of a ``whsec_<base64>`` secret, or a ``ValueError``."""
    if not secret.startswith("whsec_"):
        raise ValueError("canonical webhooks need a secret of the form whsec_<base64>")
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise ValueError("the part after whsec_ is not valid base64") from exc


def native_signature(secret, body):
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_webhooks_signature(key, msg_id, timestamp, body):
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class Scheduler:
    """One background thread running callables at given times."""

    def __init__(self):
        self._heap = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def call_later(self, delay, func, *args):
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._order), func, args))
            self._cond.notify()

    def clear(self):
        with self._cond:
            self._heap.clear()

    def _run(self):
        while True:
            with self._cond:
                while not self._stopped:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._cond.wait(self._heap[0][0] - now if self._heap else None)
                if self._stopped:
                    return
                _due, _order, func, args = heapq.heappop(self._heap)
            try:
                func(*args)
            except Exception:
                # A failing task must not end the thread that runs every later one.
                _logger.exception("scheduled task %s failed", getattr(func, "__name__", func))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Webhook receivers answer; a redirect counts as a failed delivery."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Delivery:
    """One webhook POST (with its retries)."""

    url: str
    event_id: str
    body: bytes
    webhook_format: str
    generation: int
    retries: int = RETRIES
    attempts: int = 0

    def retry_pause(self):
        """Seconds before the next attempt: 1, 2, 4 ... at most ``MAX_RETRY_PAUSE``."""
        return min(FIRST_RETRY_PAUSE * 2 ** (self.attempts - 1), MAX_RETRY_PAUSE)


class WebhookSender:
    """Signs and POSTs webhooks on the scheduler's thread; counts the outcomes.

    ``signature_header``: the header of ``native`` signatures.  ``counters``
    (a dict shared with the simulator's statistics, guarded by ``lock``) gets
    ``webhooks_sent``, ``webhooks_failed`` and ``webhook_attempts``.  A reset
    bumps ``generation``: deliveries of an older one are dropped.
    """

    def __init__(self, scheduler, secret, signature_header, user_agent, lock, seed=None):
        self.scheduler = scheduler
        self.secret = secret
        self.signature_header = signature_header
        self.user_agent = user_agent
        self._lock = lock
        self.seed = seed
        self.counters = {}
        self.generation = 0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self.reset()

    def reset(self):
        with self._lock:
            self.rng = random.Random(None if self.seed is None else f"webhooks-{self.seed}")
            self.generation += 1
            self.counters = {"webhooks_sent": 0, "webhooks_failed": 0, "webhook_attempts": 0}

    def send(self, url, items, webhook_format, duplicate_rate, retries=RETRIES):
        """Queue one POST per ``(event_id, document)`` of ``items``, some twice;
        each is retried ``retries`` times when it fails."""
        with self._lock:
            generation = self.generation
            for event_id, doc in items:
                copies = 1
                if duplicate_rate and self.rng.random() < duplicate_rate:
                    copies = 2
                for _copy in range(copies):
                    delivery = Delivery(
                        url, event_id, compact_json(doc), webhook_format, generation, retries
                    )
                    self.scheduler.call_later(0, self._deliver, delivery)

    def headers(self, delivery):
        headers = {"Content-Type": "application/json", "User-Agent": self.user_agent}
        if delivery.webhook_format == "canonical":
            timestamp = int(time.time())
            key = standard_webhooks_key(self.secret)
            headers.update(
                {
                    "webhook-id": delivery.event_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": standard_webhooks_signature(
                        key, delivery.event_id, timestamp, delivery.body
                    ),
                }
            )
        else:
            headers[self.signature_header] = native_signature(self.secret, delivery.body)
        return headers

    def _count(self, name):
        with self._lock:
            self.counters[name] += 1

    def _deliver(self, delivery):
        """POST one webhook (on the scheduler thread); retry later on failure."""
        with self._lock:
            if delivery.generation != self.generation:
                return  # dropped by /_sim/reset
            self.counters["webhook_attempts"] += 1
        delivery.attempts += 1
        error = None
        try:
            request = urllib.request.Request(  # noqa: S310 (loopback http(s) URLs only)
                delivery.url, data=delivery.body, headers=self.headers(delivery), method="POST"
            )
            with self._opener.open(request, timeout=TIMEOUT) as response:
                response.read()
                if not 200 <= response.status < 300:
                    error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            exc.close()
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self._count("webhooks_sent")
            _logger.info("webhook %s delivered (attempt %d)", delivery.event_id, delivery.attempts)
        elif delivery.attempts <= delivery.retries:
            pause = delivery.retry_pause()
            _logger.info("webhook %s failed (%s), retry in %.0f s", delivery.event_id, error, pause)
            self.scheduler.call_later(pause, self._deliver, delivery)
        else:
            self._count("webhooks_failed")
            _logger.warning(
                "webhook %s given up after %d attempts (%s)",
                delivery.event_id,
                delivery.attempts,
                error,
            )
