# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Faults as an unreliable external system shows them, drawn from a seeded RNG.

With probability ``error_rate`` a request is faulted, uniformly one of: 500,
502, 503, 429 with ``Retry-After: 1``, a timeout (sleep ``timeout_sleep``
seconds, then answer normally) or a connection reset (RST, no answer).  For
routes that store something (a booking, an order), half of the 5xx, timeouts
and resets happen *after* the request was carried out: the system stored it,
the client never learns it.  An outage window answers every faultable request
503 with ``Retry-After: 2``.
"""

import math
import random
import threading
import time

from .server import Reply

FAULT_KINDS = ("500", "502", "503", "429", "timeout", "reset")
# Faults that may happen after a storing call was carried out (never a 429).
AFTER_FAULTS = {"500", "502", "503", "timeout", "reset"}
FAULT_COUNTERS = (*FAULT_KINDS, "outage")
OUTAGE_RETRY_AFTER = "2"
RATE_LIMIT_RETRY_AFTER = "1"


class Faults:
    """The fault state of one simulator: RNG, outage window and counters (thread-safe)."""

    def __init__(self, seed):
        self._lock = threading.Lock()
        self.seed = seed
        self.reset()

    def reset(self):
        with self._lock:
            self.rng = random.Random(self.seed)
            self.scripted = []  # [(kind, after)]: the next faults, before any drawn one
            self.outage_until = None  # time.monotonic() deadline, math.inf while switched on
            self.counts = dict.fromkeys(FAULT_COUNTERS, 0)

    def counters(self):
        with self._lock:
            return dict(self.counts)

    def count(self, kind):
        with self._lock:
            self.counts[kind] += 1

    # outage -------------------------------------------------------------------
    def set_outage(self, on=None, seconds=None):
        """``on`` true/false switches it for good; ``seconds`` opens a window from now."""
        with self._lock:
            if on is not None:
                self.outage_until = math.inf if on else None
            if seconds is not None:
                self.outage_until = time.monotonic() + seconds

    def in_outage(self):
        with self._lock:
            return self.outage_until is not None and time.monotonic() < self.outage_until

    def outage_remaining(self):
        """Seconds left in a timed outage window, None when off or switched on for good."""
        with self._lock:
            until = self.outage_until
        if until is None or until == math.inf or time.monotonic() >= until:
            return None
        return round(until - time.monotonic(), 3)

    def outage_reply(self):
        self.count("outage")
        return Reply.json(
            503,
            {"error": "service_unavailable", "message": "outage"},
            **{"Retry-After": OUTAGE_RETRY_AFTER},
        )

    # drawing ------------------------------------------------------------------
    def script(self, faults):
        """Queue faults for the next faultable requests: ``[{"kind", "after"}]``.

        A fault ``after`` the request was carried out waits for a request that
        stores something (a booking); the others take the next faultable request.
        Tests use it to place one fault exactly where they want it.
        """
        parsed = []
        for fault in faults:
            kind, after = fault.get("kind"), bool(fault.get("after"))
            if kind not in FAULT_KINDS or (after and kind not in AFTER_FAULTS):
                raise ValueError(f"not a fault: {fault!r}")
            parsed.append((kind, after))
        with self._lock:
            self.scripted.extend(parsed)

    def draw(self, error_rate, may_store):
        """``(kind, after)`` or ``(None, False)``: a scripted fault, else a drawn one."""
        with self._lock:
            for position, (kind, after) in enumerate(self.scripted):
                if may_store or not after:
                    del self.scripted[position]
                    return kind, after
        if not error_rate:
            return None, False
        with self._lock:
            if self.rng.random() >= error_rate:
                return None, False
            kind = self.rng.choice(FAULT_KINDS)
            after = may_store and kind in AFTER_FAULTS and self.rng.random() < 0.5
            return kind, after

    def inject(self, kind, timeout_sleep, server_error=None):
        """The fault's reply; None for a timeout (slept, then answer normally).

        ``server_error(status)`` builds a protocol's own 500 (a SOAP fault...);
        by default every 5xx is a JSON error.
        """
        self.count(kind)
        if kind == "timeout":
            time.sleep(timeout_sleep)
            return None
        if kind == "reset":
            return Reply(reset=True, note="fault reset")
        if kind == "429":
            reply = Reply.json(
                429,
                {"error": "rate_limited", "message": "too many requests"},
                **{"Retry-After": RATE_LIMIT_RETRY_AFTER},
            )
        else:
            reply = server_error(int(kind)) if server_error else None
            if reply is None:
                reply = Reply.json(
                    int(kind), {"error": "server_error", "message": f"injected {kind}"}
                )
        reply.note = f"fault {kind}"
        return reply
