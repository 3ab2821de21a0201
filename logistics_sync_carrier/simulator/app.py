# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier simulator: state, statistics, routes, authentication, command line."""

import argparse
import base64
import binascii
import hmac
import itertools
from dataclasses import dataclass

from . import rest, soap
from .lifecycle import LifecycleMixin
from .rest import RestMixin
from .soap import EVIL_MODES, SoapMixin, soap_fault_reply
from odoo.addons.logistics_sync_base.simulator import cli
from odoo.addons.logistics_sync_base.simulator.app import SimulatorApp
from odoo.addons.logistics_sync_base.simulator.knobs import KNOB_PARSERS, Knobs, as_choice
from odoo.addons.logistics_sync_base.simulator.server import Reply
from odoo.addons.logistics_sync_base.simulator.webhooks import FORMATS as WEBHOOK_FORMATS
from odoo.addons.logistics_sync_base.simulator.webhooks import WebhookSender, standard_webhooks_key

NAME = "carrier simulator"
SIGNATURE_HEADER = "X-Sim-Signature"
USER_AGENT = "logistics-sync-carrier-simulator/1"


@dataclass
class CarrierKnobs(Knobs):
    webhook_format: str = "native"
    soap_evil: str = ""


def same_secret(given, expected):
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class CarrierSimulator(LifecycleMixin, RestMixin, SoapMixin, SimulatorApp):
    """The carrier: bookings, lifecycle, webhooks, faults, REST and SOAP."""

    knob_parsers = {
        **KNOB_PARSERS,
        "webhook_format": as_choice(WEBHOOK_FORMATS),
        "soap_evil": as_choice(EVIL_MODES),
    }
    storing_routes = (*rest.STORING, *soap.STORING)
    unauthorized_headers = {"WWW-Authenticate": 'Basic realm="sim-carrier"'}

    def __init__(self, *, api_key, username, password, webhook_secret, knobs, seed):
        self.api_key = api_key
        self.username = username
        self.password = password
        self.webhook_secret = webhook_secret
        super().__init__(knobs=knobs, seed=seed)
        self.webhooks = WebhookSender(
            self.scheduler, webhook_secret, SIGNATURE_HEADER, USER_AGENT, self._lock, seed
        )
        self.numbers = itertools.count(1)
        self.generation = 0  # bumped by each reset; stale scheduled work checks it
        self.reset_state()

    # ------------------------------------------------------------- state and stats
    def reset_state(self):
        with self._lock:
            res = super().reset_state()
            self.webhooks.reset()
            self.bookings = {}
            self.by_tracking = {}
            self.idempotency = {}
            self.generation += 1
            self.counters.update(soap_requests=0, events=0, evil_dtd_fetches=0)
        return res

    def stats(self):
        with self._lock:
            by_reference = {}
            for booking in self.bookings.values():
                by_reference[booking.reference] = by_reference.get(booking.reference, 0) + 1
            sent = self.webhooks.counters
            return {
                "bookings": len(self.bookings),
                "bookings_by_reference": by_reference,
                "requests": self.counters["requests"],
                "faults": self.faults.counters(),
                "webhooks_sent": sent["webhooks_sent"],
                "webhooks_failed": sent["webhooks_failed"],
                "webhook_attempts": sent["webhook_attempts"],
                "events": self.counters["events"],
                "soap_requests": self.counters["soap_requests"],
                "evil_dtd_fetches": self.counters["evil_dtd_fetches"],
            }

    def validate_config(self, updates):
        if updates.get("webhook_format") == "canonical":
            try:
                standard_webhooks_key(self.webhook_secret)
            except ValueError as exc:
                return {"webhook_format": str(exc)}
        return {}

    # ------------------------------------------------------------- routes
    def api_routes(self):
        shipment = rest.SHIPMENT
        return [
            *self.rest_routes(),
            *self.soap_routes(),
            ("POST", rf"/_sim/advance/{shipment}", self.post_advance, "control"),
            ("GET", r"/_sim/evil\.dtd", self.get_evil_dtd, "control"),
        ]

    def server_error(self, route, status):
        if status == 500 and route.kind == "soap":
            return soap_fault_reply(500, "soap:Server", "Internal error (injected)")
        return None

    def post_advance(self, request, shipment_id):
        return Reply.json(200, {"event": self.advance(shipment_id)})

    def get_evil_dtd(self, request):
        self.count("evil_dtd_fetches")
        dtd = b'<!ENTITY evil "the client fetched the external DTD">\n'
        return Reply(200, dtd, "application/xml-dtd")

    # ------------------------------------------------------------- authentication
    def valid_login(self, username, password):
        # Both comparisons run, whatever the first one says.
        user_ok = same_secret(username, self.username)
        password_ok = same_secret(password, self.password)
        return user_ok and password_ok

    def authorized(self, route, headers):
        """REST: Bearer, X-API-Key or Basic, any one valid credential is enough.
        SOAP carries its credentials in the body (checked by the operation)."""
        if route.kind != "rest":
            return True
        results = []
        api_key = headers.get("X-API-Key")
        if api_key is not None:
            results.append(same_secret(api_key, self.api_key))
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "bearer":
            results.append(same_secret(value.strip(), self.api_key))
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            username, _, password = decoded.partition(":")
            results.append(self.valid_login(username, password))
        return any(results)


# --------------------------------------------------------------------------- command line


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Carrier simulator (REST, SOAP, webhooks).")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    cli.add_common_arguments(parser, webhook_formats=WEBHOOK_FORMATS)
    args = parser.parse_args(argv)
    cli.check_common_arguments(parser, args, NAME)
    if args.webhook_format == "canonical":
        try:
            standard_webhooks_key(args.webhook_secret)
        except ValueError as exc:
            parser.error(f"--webhook-secret: {exc}")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.configure_logging("carrier-sim")
    knobs = CarrierKnobs(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        duplicate_rate=args.duplicate_rate,
        reorder=args.reorder,
        webhook_url=args.webhook_url or None,
        webhook_format=args.webhook_format,
        webhook_interval=args.webhook_interval,
        webhook_retries=args.webhook_retries,
        timeout_sleep=args.timeout_sleep,
    )
    simulator = CarrierSimulator(
        api_key=args.api_key,
        username=args.username,
        password=args.password,
        webhook_secret=args.webhook_secret,
        knobs=knobs,
        seed=args.seed,
    )
    return cli.serve(simulator, args, NAME, server_version="SimCarrier/1")
