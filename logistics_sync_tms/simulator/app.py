# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS simulator: state, statistics, routes, authentication, command line."""

import argparse
import hmac
import itertools
import json
import os
import random
from dataclasses import dataclass

from . import api
from .api import ApiMixin
from .planning import PlanningMixin
from odoo.addons.logistics_sync_base.simulator import cli
from odoo.addons.logistics_sync_base.simulator.app import SimulatorApp
from odoo.addons.logistics_sync_base.simulator.knobs import (
    KNOB_PARSERS,
    Knobs,
    as_positive,
    as_rate,
)
from odoo.addons.logistics_sync_base.simulator.server import Reply, SimError, compact_json
from odoo.addons.logistics_sync_base.simulator.webhooks import WebhookSender, standard_webhooks_key

NAME = "TMS simulator"
USER_AGENT = "logistics-sync-tms-simulator/1"
DEFAULT_CARRIER = "sim"


@dataclass
class TmsKnobs(Knobs):
    milestone_interval: float = 5.0
    unanswered_rate: float = 0.0
    carrier_code: str = DEFAULT_CARRIER


def as_carrier_code(value):
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValueError("must be a non-empty string of at most 64 characters")
    return value.strip()


def same_secret(given, expected):
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class TmsSimulator(ApiMixin, PlanningMixin, SimulatorApp):
    """The TMS: shipments, planning, loads, signed webhooks, faults, REST API."""

    knob_parsers = {
        **KNOB_PARSERS,
        "milestone_interval": as_positive,
        "unanswered_rate": as_rate,
        "carrier_code": as_carrier_code,
    }
    storing_routes = api.STORING
    unauthorized_headers = {"WWW-Authenticate": 'Bearer realm="sim-tms"'}

    def __init__(self, *, token, webhook_secret, knobs, seed):
        standard_webhooks_key(webhook_secret)  # a ValueError when not whsec_<base64>
        self.token = token
        super().__init__(knobs=knobs, seed=seed)
        self.webhooks = WebhookSender(
            self.scheduler, webhook_secret, None, USER_AGENT, self._lock, seed
        )
        self.numbers = itertools.count(1)  # shipment ids keep counting across resets
        self.load_numbers = itertools.count(1)
        self.sequence = itertools.count(1)
        self.generation = 0  # bumped by each reset; stale scheduled work checks it
        self.reset_state()

    # ------------------------------------------------------------- state and stats
    def reset_state(self):
        with self._lock:
            res = super().reset_state()
            self.webhooks.reset()
            self.rng = random.Random(None if self.seed is None else f"tms-{self.seed}")
            self.shipments = {}
            self.by_release = {}
            self.idempotency = {}
            self.writes = {}
            self.loads = {}
            self.load_members = {}
            self.generation += 1
            self.counters.update(events=0, replays=0, batches=0)
        return res

    def stats(self):
        with self._lock:
            by_status, loads = {}, {}
            for shipment in self.shipments.values():
                by_status[shipment.status] = by_status.get(shipment.status, 0) + 1
            for load_ref, load in self.load_members.items():
                members = sorted(self.shipments[s].release_id for s in load["members"])
                if members:
                    loads[load_ref] = members
            sent = self.webhooks.counters
            return {
                "shipments": len(self.shipments),
                "shipments_by_status": by_status,
                "writes": {key: dict(value) for key, value in self.writes.items()},
                "loads": loads,
                "unanswered": sorted(s.release_id for s in self.shipments.values() if s.unanswered),
                "requests": self.counters["requests"],
                "replays": self.counters["replays"],
                "batches": self.counters["batches"],
                "faults": self.faults.counters(),
                "events": self.counters["events"],
                "webhooks_sent": sent["webhooks_sent"],
                "webhooks_failed": sent["webhooks_failed"],
                "webhook_attempts": sent["webhook_attempts"],
            }

    def shipment(self, shipment_id):
        with self._lock:
            found = self.shipments.get(shipment_id)
        if found is None:
            raise SimError(404, "not_found", f"unknown shipment {shipment_id}")
        return found

    def shipment_of_release(self, release_id):
        """The latest shipment of a release (a cancelled one may have a successor)."""
        with self._lock:
            ids = self.by_release.get(release_id)
            return self.shipments[ids[-1]] if ids else None

    # ------------------------------------------------------------- routes
    def api_routes(self):
        return [
            *self.api_routes_tms(),
            ("POST", rf"/_sim/advance/{api.SHIPMENT}", self.post_advance, "control"),
        ]

    def post_advance(self, request, shipment_id):
        return Reply.json(200, {"event": self.advance(shipment_id)})

    def respond(self, request):
        """Errors of the TMS API (faults included) as ``{"error": {"code", "message"}}``."""
        reply = super().respond(request)
        if request.path.startswith("/tms/") and reply.status >= 400 and not reply.reset:
            try:
                doc = json.loads(reply.body)
            except ValueError:
                return reply
            if isinstance(doc, dict) and isinstance(doc.get("error"), str):
                nested = {
                    "code": doc["error"],
                    "message": doc.get("message") or doc["error"].replace("_", " "),
                }
                if doc.get("field"):
                    nested["field"] = doc["field"]
                reply.body = compact_json({"error": nested})
        return reply

    # ------------------------------------------------------------- authentication
    def authorized(self, route, headers):
        """``Authorization: Bearer <token>``, compared in constant time."""
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        return scheme.lower() == "bearer" and same_secret(value.strip(), self.token)


# --------------------------------------------------------------------------- command line


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="TMS simulator (REST API, signed webhooks).")
    token = parser.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="the Bearer token the API accepts")
    token.add_argument(
        "--token-env", metavar="NAME", help="read the token from this environment variable"
    )
    parser.add_argument(
        "--milestone-interval",
        type=cli.positive_arg,
        default=5.0,
        help="seconds between two transit milestones (the speed knob)",
    )
    parser.add_argument("--unanswered-rate", type=cli.rate_arg, default=0.0)
    parser.add_argument("--carrier-code", default=DEFAULT_CARRIER)
    cli.add_common_arguments(parser)
    args = parser.parse_args(argv)
    cli.check_common_arguments(parser, args, NAME)
    if args.token_env:
        args.token = os.environ.get(args.token_env, "")
        if not args.token:
            parser.error(f"--token-env: {args.token_env} is not set")
    try:
        standard_webhooks_key(args.webhook_secret)
    except ValueError as exc:
        parser.error(f"--webhook-secret: {exc}")
    try:
        args.carrier_code = as_carrier_code(args.carrier_code)
    except ValueError as exc:
        parser.error(f"--carrier-code: {exc}")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.configure_logging("tms-sim")
    knobs = TmsKnobs(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        duplicate_rate=args.duplicate_rate,
        reorder=args.reorder,
        webhook_url=args.webhook_url or None,
        webhook_interval=args.webhook_interval,
        webhook_retries=args.webhook_retries,
        timeout_sleep=args.timeout_sleep,
        milestone_interval=args.milestone_interval,
        unanswered_rate=args.unanswered_rate,
        carrier_code=args.carrier_code,
    )
    simulator = TmsSimulator(
        token=args.token, webhook_secret=args.webhook_secret, knobs=knobs, seed=args.seed
    )
    return cli.serve(simulator, args, NAME, server_version="SimTMS/1")
