# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The request flow every simulator shares, and its control API under ``/_sim``.

A simulator subclasses ``SimulatorApp`` and provides:

- ``api_routes()``: its ``(method, pattern, func, kind)`` rows (``kind``
  ``public``, or an API kind that is authenticated and faulted), and
  ``storing_routes``: the ``(method, pattern)`` pairs that store something, so
  that faults may come after the work was done;
- ``authorized(route, headers)``: whether a request of an API kind may pass;
- ``reset_state()`` / ``stats()``: its own state and statistics (call super);
- optionally ``server_error(route, status)`` for its protocol's own 500s,
  ``knob_parsers`` and ``validate_config(updates)``.

Faultable requests: latency, then the outage window, then a drawn fault
(``faults``), before authentication, as from a gateway.  ``/_sim`` is never
faulted and needs no authentication: ``GET /_sim/stats``, ``GET|POST
/_sim/config``, ``POST /_sim/reset``, ``POST /_sim/faults`` (the next faults, scripted).
"""

import logging
import threading
import time
import urllib.parse
from dataclasses import asdict, replace

from .faults import Faults
from .knobs import KNOB_PARSERS, parse_config
from .server import Reply, SimError, json_body, routes_from
from .webhooks import Scheduler

_logger = logging.getLogger("simulator")


class SimulatorApp:
    knob_parsers = KNOB_PARSERS
    storing_routes = ()
    unauthorized_headers = {}

    def __init__(self, *, knobs, seed):
        self.initial_knobs = knobs
        self.seed = seed
        self.base_url = "http://127.0.0.1"
        self.scheduler = Scheduler()
        self.faults = Faults(seed)
        self._lock = threading.RLock()
        self.counters = {}
        self.knobs = replace(knobs)
        self.routes = routes_from(
            [*self.api_routes(), *self._control_routes()], self.storing_routes
        )

    # ------------------------------------------------------------- to provide
    def api_routes(self):
        return []

    def authorized(self, route, headers):
        return False

    def server_error(self, route, status):
        return None

    def validate_config(self, updates):
        """Errors by knob name for settings that are valid alone but not here."""
        return {}

    # ------------------------------------------------------------- state
    def reset_state(self):
        with self._lock:
            self.knobs = replace(self.initial_knobs)
            self.counters = {"requests": 0}
        self.faults.reset()

    def count(self, name):
        with self._lock:
            self.counters[name] = self.counters.get(name, 0) + 1

    def stats(self):
        with self._lock:
            return {"requests": self.counters["requests"], "faults": self.faults.counters()}

    def in_outage(self):
        return self.faults.in_outage()

    def config_doc(self):
        with self._lock:
            doc = asdict(self.knobs)
        doc.update(outage=self.in_outage(), outage_remaining_seconds=self.faults.outage_remaining())
        return doc

    def start(self):
        self.scheduler.start()

    def stop(self):
        self.scheduler.stop()

    # ------------------------------------------------------------- request flow
    def respond(self, request):
        """The whole answer to one request, faults included."""
        route, params = self._match(request.method, request.path)
        if route is None:
            return self._no_route(request.method, request.path)
        if not route.faultable:
            return self._call(route, request, params)

        with self._lock:
            self.counters["requests"] += 1
            knobs = replace(self.knobs)
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        if self.in_outage():
            return self.faults.outage_reply()
        kind, after = self.faults.draw(knobs.error_rate, route.may_book)
        if kind and not after:
            faulted = self._inject(kind, route, knobs)
            if faulted is not None:
                return faulted
        reply = self._call(route, request, params)
        if kind == "timeout":
            reply.note = (
                "fault timeout" + (" after processing" if after else "") + ", answered late"
            )
        if kind and after:
            faulted = self._inject(kind, route, knobs)
            if faulted is not None:
                faulted.note += " after processing"
                return faulted
        return reply

    def _inject(self, kind, route, knobs):
        return self.faults.inject(
            kind, knobs.timeout_sleep, lambda status: self.server_error(route, status)
        )

    def _match(self, method, path):
        """(route, path parameters), or (None, None)."""
        for route in self.routes:
            found = route.method == method and route.pattern.fullmatch(path)
            if found:
                return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        return None, None

    def _no_route(self, method, path):
        allowed = sorted({r.method for r in self.routes if r.pattern.fullmatch(path)})
        if allowed:
            return Reply.json(
                405,
                {"error": "method_not_allowed", "message": f"use {', '.join(allowed)}"},
                Allow=", ".join(allowed),
            )
        return Reply.json(404, {"error": "not_found", "message": f"no route {path}"})

    def _call(self, route, request, params):
        if route.faultable and not self.authorized(route, request.headers):
            return Reply.json(401, {"error": "unauthorized"}, **self.unauthorized_headers)
        try:
            return route.func(request, **params)
        except SimError as exc:
            return Reply.json(exc.status, exc.as_json())

    # ------------------------------------------------------------- control API
    def _control_routes(self):
        return [
            ("GET", r"/health", self.get_health, "public"),
            ("GET", r"/_sim/stats", self.get_stats, "control"),
            ("GET", r"/_sim/config", self.get_config, "control"),
            ("POST", r"/_sim/config", self.post_config, "control"),
            ("POST", r"/_sim/reset", self.post_reset, "control"),
            ("POST", r"/_sim/faults", self.post_faults, "control"),
        ]

    def get_health(self, request):
        return Reply.json(200, {"status": "ok"})

    def get_stats(self, request):
        return Reply.json(200, self.stats())

    def get_config(self, request):
        return Reply.json(200, self.config_doc())

    def post_config(self, request):
        updates, outage, outage_seconds, errors = parse_config(
            json_body(request), self.knob_parsers
        )
        errors.update(self.validate_config(updates))
        if errors:
            return Reply.json(
                400, {"error": "bad_request", "message": "invalid settings", "fields": errors}
            )
        with self._lock:
            self.knobs = replace(self.knobs, **updates)
        self.faults.set_outage(outage, outage_seconds)
        _logger.info("config changed: %s", ", ".join(sorted(updates)) or "outage")
        return Reply.json(200, self.config_doc())

    def post_faults(self, request):
        """Script the next faults: ``{"next": [{"kind": "timeout", "after": true}]}``."""
        body = json_body(request)
        faults = body.get("next") if isinstance(body, dict) else None
        try:
            if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
                raise ValueError('the body must be {"next": [{"kind": ..., "after": ...}]}')
            self.faults.script(faults)
        except ValueError as exc:
            return Reply.json(400, {"error": "bad_request", "message": str(exc)})
        return Reply.json(200, {"status": "scripted"})

    def post_reset(self, request):
        self.scheduler.clear()
        self.reset_state()
        _logger.info("state reset")
        return Reply.json(200, {"status": "reset", "config": self.config_doc()})
