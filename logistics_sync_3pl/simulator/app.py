# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator: documents, picking with faults, stock, signed confirmations;
with ``--x12-sftp-port``, also a 3PL exchanging X12 files over SFTP (``x12_mailbox``)."""

import argparse
import hmac
import itertools
import json
import logging
import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ..lib import sscc
from .x12_mailbox import X12Mailbox
from odoo.addons.logistics_sync_base.simulator import cli
from odoo.addons.logistics_sync_base.simulator.app import SimulatorApp
from odoo.addons.logistics_sync_base.simulator.knobs import KNOB_PARSERS, Knobs, as_bool, as_rate
from odoo.addons.logistics_sync_base.simulator.server import (
    Reply,
    SimError,
    bad_field,
    compact_json,
    is_loopback_host,
    json_body,
)
from odoo.addons.logistics_sync_base.simulator.webhooks import WebhookSender, standard_webhooks_key

_logger = logging.getLogger("simulator")

NAME = "3PL simulator"
USER_AGENT = "logistics-sync-3pl-simulator/1"
DOC = r"(?P<document_id>[^/]+)"
DOCUMENTS = r"/3pl/v1/documents"
DOCUMENT_TYPES = ("shipping_order", "receipt_advice")


@dataclass
class TplKnobs(Knobs):
    short_pick_rate: float = 0.0
    unknown_lot_rate: float = 0.0
    damage_rate: float = 0.0
    snapshot_drift: float = 0.0
    auto_confirm: bool = False
    cancel_remaining: bool = False
    gs1_prefix: str = "0614141"


def as_prefix(value):
    if not isinstance(value, str) or not value.isdigit() or not 7 <= len(value) <= 10:
        raise ValueError("must be 7 to 10 digits")
    return value


def now_text():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TplSimulator(SimulatorApp):
    knob_parsers = {
        **KNOB_PARSERS,
        "short_pick_rate": as_rate,
        "unknown_lot_rate": as_rate,
        "damage_rate": as_rate,
        "snapshot_drift": as_rate,
        "auto_confirm": as_bool,
        "cancel_remaining": as_bool,
        "gs1_prefix": as_prefix,
    }
    storing_routes = (
        ("POST", DOCUMENTS),
        ("POST", rf"{DOCUMENTS}/{DOC}/cancel"),
        ("POST", r"/asn/v1/notices"),
    )
    unauthorized_headers = {"WWW-Authenticate": 'Bearer realm="sim-3pl"'}

    def __init__(self, *, token, webhook_secret, knobs, seed, lot_skus=()):
        standard_webhooks_key(webhook_secret)
        self.token = token
        self.lot_skus = frozenset(lot_skus)
        self.mailbox = None  # the X12 over SFTP side (x12_mailbox.X12Mailbox), if any
        super().__init__(knobs=knobs, seed=seed)
        self.webhooks = WebhookSender(
            self.scheduler, webhook_secret, None, USER_AGENT, self._lock, seed
        )
        self.numbers = itertools.count(1)  # event, lot and package numbers keep counting
        self.reset_state()

    # ------------------------------------------------------------- state and stats
    def reset_state(self):
        with self._lock:
            res = super().reset_state()
            self.webhooks.reset()
            self.rng = random.Random(None if self.seed is None else f"3pl-{self.seed}")
            self.documents = {}  # id -> latest stored document (+ status)
            self.keys = {}  # idempotency key -> (status, answer)
            self.writes = {}  # "<id>:v<version>" -> how many times stored
            self.stock = {}  # (sku, lot) -> quantity
            self.asns = []  # advance ship notices received (the customer's side)
            self.counters.update(confirmations=0, short_picks=0, snapshots=0, replays=0)
        return res

    def stats(self):
        with self._lock:
            by_status = {}
            for doc in self.documents.values():
                by_status[doc["status"]] = by_status.get(doc["status"], 0) + 1
            return {
                **super().stats(),
                "documents": len(self.documents),
                "documents_by_status": by_status,
                "writes": dict(self.writes),
                "asns": list(self.asns),
                "stock": [
                    {"sku": sku, "lot": lot, "quantity": qty}
                    for (sku, lot), qty in sorted(self.stock.items(), key=str)
                ],
                **{k: self.counters[k] for k in ("confirmations", "short_picks", "snapshots")},
                "replays": self.counters["replays"],
                **self.webhooks.counters,
                **({"x12": self.mailbox.stats()} if self.mailbox else {}),
            }

    def start(self):
        res = super().start()
        if self.mailbox:
            self.mailbox.start()
        return res

    def stop(self):
        if self.mailbox:
            self.mailbox.stop()
        return super().stop()

    # ------------------------------------------------------------- routes
    def api_routes(self):
        return [
            ("POST", DOCUMENTS, self.post_document, "rest"),
            ("POST", rf"{DOCUMENTS}/{DOC}/cancel", self.post_cancel, "rest"),
            ("GET", rf"{DOCUMENTS}/{DOC}", self.get_document, "rest"),
            ("POST", r"/asn/v1/notices", self.post_asn, "rest"),
            ("POST", rf"/_sim/pick/{DOC}", self.post_pick, "control"),
            ("POST", r"/_sim/stock", self.post_stock, "control"),
            ("POST", r"/_sim/snapshot", self.post_snapshot, "control"),
            ("POST", r"/_sim/inbound_asn", self.post_inbound_asn, "control"),
            ("POST", r"/_sim/x12/poll", self.post_x12_poll, "control"),
        ]

    def respond(self, request):
        """Errors of the 3PL API (faults included) as ``{"error": {"code", "message"}}``."""
        reply = super().respond(request)
        if request.path.startswith("/3pl/") and reply.status >= 400 and not reply.reset:
            try:
                doc = json.loads(reply.body)
            except ValueError:
                return reply
            if isinstance(doc, dict) and isinstance(doc.get("error"), str):
                nested = {"code": doc["error"], "message": doc.get("message") or doc["error"]}
                if doc.get("field"):
                    nested["field"] = doc["field"]
                reply.body = compact_json({"error": nested})
        return reply

    def authorized(self, route, headers):
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self.token.encode()
        )

    def _keyed(self, request, work):
        key = request.headers.get("Idempotency-Key")
        if not key:
            raise SimError(400, "bad_request", "an Idempotency-Key header is required")
        with self._lock:
            if key in self.keys:
                self.counters["replays"] += 1
                status, answer = self.keys[key]
                return Reply.json(status, answer)
            status, answer = work(json_body(request))
            self.keys[key] = (status, answer)
            return Reply.json(status, answer)

    def post_document(self, request):
        return self._keyed(request, self._store)

    def _store(self, body):
        doc_id, version = body.get("document_id"), body.get("version")
        if body.get("document_type") not in DOCUMENT_TYPES:
            raise bad_field("document_type", "must be shipping_order or receipt_advice")
        if not isinstance(doc_id, str) or not doc_id:
            raise bad_field("document_id", "required")
        if not isinstance(version, int) or version < 1:
            raise bad_field("version", "must be an integer >= 1")
        if not body.get("lines"):
            raise bad_field("lines", "at least one line")
        for index, line in enumerate(body["lines"]):
            if not line.get("sku") or not isinstance(line.get("quantity"), int | float):
                raise bad_field(f"lines.{index}", "sku and quantity are required")
        known = self.documents.get(doc_id)
        if known and known["status"] == "cancelled":
            raise SimError(409, "document_cancelled", f"{doc_id} is cancelled")
        if known and version <= known["version"]:
            raise SimError(409, "stale_version", f"{doc_id} has version {known['version']}")
        if known and known["status"] == "confirmed":
            raise SimError(409, "document_confirmed", f"{doc_id} was confirmed already")
        self.documents[doc_id] = dict(body, status="open")
        write = f"{doc_id}:v{version}"
        self.writes[write] = self.writes.get(write, 0) + 1
        if self.knobs.auto_confirm and (self.knobs.webhook_url or body.get("channel") == "x12"):
            self.scheduler.call_later(self.knobs.webhook_interval, self._auto_pick, doc_id, version)
        return 201, {"document_id": doc_id, "version": version, "status": "accepted"}

    # ------------------------------------------------------------- X12 over SFTP
    def store_x12(self, body):
        """A shipping order read from a 940 (``x12_mailbox``); False when refused
        (an older version, cancelled or confirmed already)."""
        with self._lock:
            try:
                self._store(body)
            except SimError as exc:
                _logger.info("940 %s refused: %s", body["document_id"], exc.message)
                return False
        return True

    def cancel_x12(self, doc_id, version):
        """A 940 W05 F; False when there is nothing to cancel."""
        with self._lock:
            known = self.documents.get(doc_id)
            if not known or known["status"] != "open" or version <= known["version"]:
                return False
            known.update(status="cancelled", version=version)
            write = f"{doc_id}:v{version}:cancel"
            self.writes[write] = self.writes.get(write, 0) + 1
        return True

    def tracking_of(self, sku):
        """How the warehouse tracks ``sku`` (a 940 does not say): by lot when it was
        told so (``--lot-sku``) or holds lots of it."""
        with self._lock:
            held = any(s == sku and lot for s, lot in self.stock)
        return "lot" if sku in self.lot_skus or held else "none"

    def post_x12_poll(self, request):
        """Poll the X12 mailbox now (send what waits, read the inbox, answer)."""
        if not self.mailbox:
            raise SimError(404, "not_found", "no X12 mailbox (start with --x12-sftp-port)")
        return Reply.json(200, self.mailbox.poll())

    def post_asn(self, request):
        """A customer's side: advance ship notices, stored once per key."""

        def work(body):
            if not body.get("asn_id") or not body.get("packages"):
                raise bad_field("packages", "an ASN has an asn_id and packages")
            self.asns.append(body)
            return 201, {"asn_id": body["asn_id"], "status": "received"}

        return self._keyed(request, work)

    def post_cancel(self, request, document_id):
        def work(body):
            known = self.documents.get(document_id)
            if not known:
                raise SimError(404, "not_found", f"unknown document {document_id}")
            if known["status"] == "confirmed":
                raise SimError(409, "document_confirmed", f"{document_id} was confirmed already")
            version = body.get("version")
            if not isinstance(version, int) or version <= known["version"]:
                raise SimError(
                    409, "stale_version", f"{document_id} has version {known['version']}"
                )
            known.update(status="cancelled", version=version)
            write = f"{document_id}:v{version}:cancel"
            self.writes[write] = self.writes.get(write, 0) + 1
            return 200, {"document_id": document_id, "version": version, "status": "cancelled"}

        return self._keyed(request, work)

    def get_document(self, request, document_id):
        with self._lock:
            known = self.documents.get(document_id)
            if not known:
                raise SimError(404, "not_found", f"unknown document {document_id}")
            return Reply.json(200, known)

    # ------------------------------------------------------------- picking
    def _auto_pick(self, doc_id, version):
        with self._lock:
            known = self.documents.get(doc_id)
            if not known or known["status"] != "open" or known["version"] != version:
                return  # changed, cancelled or picked meanwhile: the newer version decides
        self.pick(doc_id)

    def post_pick(self, request, document_id):
        return Reply.json(200, {"event": self.pick(document_id)})

    def pick(self, doc_id):
        """Pick (or receive) a document now; returns its confirmation (and sends it)."""
        with self._lock:
            doc = self.documents.get(doc_id)
            if not doc:
                raise SimError(404, "not_found", f"unknown document {doc_id}")
            if doc["status"] != "open":
                raise SimError(409, "conflict", f"{doc_id} is {doc['status']}")
            shipping = doc["document_type"] == "shipping_order"
            rows, short = [], False
            for line in doc["lines"]:
                quantity = line["quantity"]
                if self.rng.random() < self.knobs.short_pick_rate and quantity >= 2:
                    # at least one unit: a 3PL confirms what it ships, never an empty box
                    quantity = self.rng.randint(1, int(quantity) - 1)
                    short = True
                damaged = 0
                if not shipping and quantity >= 1 and self.rng.random() < self.knobs.damage_rate:
                    damaged = 1
                    quantity -= 1
                rows.extend(self._rows(line, quantity, damaged, shipping))
            doc["status"] = "confirmed"
            self.counters["confirmations"] += 1
            if short:
                self.counters["short_picks"] += 1
            event = {
                "event_id": f"3pl-conf-{next(self.numbers)}",
                "shipment_ref": doc_id,
                "occurred_at": now_text(),
                "type": "tpl_shipping_confirmation" if shipping else "tpl_receipt_confirmation",
                "document_version": doc["version"],
                "cancel_remaining": self.knobs.cancel_remaining,
                "lines": rows,
            }
            if shipping:
                event["shipped_at"] = event["occurred_at"]
                event["packages"] = self._packages(rows)
            else:
                event["received_at"] = event["occurred_at"]
            if doc.get("channel") != "x12":
                self._send([event])
                return event
        # a 945, uploaded by the mailbox (its lock taken outside ours: a poll holds
        # it while it stores the 940s it reads)
        self.mailbox.shipped(doc, event)
        return event

    def _rows(self, line, quantity, damaged, shipping):
        """Rows of one line: one per lot (serials: one per unit); updates the stock."""
        sku, tracking = line["sku"], line.get("tracking", "none")
        rows = []
        if tracking == "none":
            if quantity or damaged:
                rows.append({"sku": sku, "quantity": quantity, "line_id": line["line_id"]})
                self._move(sku, None, quantity if not shipping else -quantity)
            if damaged:
                rows[-1]["damaged_quantity"] = damaged
            return rows
        units = [1] * int(quantity) if tracking == "serial" else ([quantity] if quantity else [])
        for unit in units:
            lot = self._lot(sku, unit, shipping, tracking)
            rows.append({"sku": sku, "quantity": unit, "lot": lot, "line_id": line["line_id"]})
            self._move(sku, lot, -unit if shipping else unit)
        if damaged:
            rows.append(
                {
                    "sku": sku,
                    "quantity": 0,
                    "damaged_quantity": damaged,
                    "line_id": line["line_id"],
                    "lot": self._lot(sku, damaged, False, tracking),
                }
            )
        return rows

    def _lot(self, sku, quantity, shipping, tracking):
        if shipping and self.rng.random() >= self.knobs.unknown_lot_rate:
            for (s, lot), qty in sorted(self.stock.items(), key=str):
                if s == sku and lot and qty >= quantity:
                    return lot
        prefix = "SIMSN" if tracking == "serial" else "SIMLOT"
        return f"{prefix}-{next(self.numbers)}"

    def _move(self, sku, lot, quantity):
        self.stock[(sku, lot)] = self.stock.get((sku, lot), 0) + quantity

    def _packages(self, rows):
        if not rows:
            return []
        code = sscc.build(self.knobs.gs1_prefix, next(self.numbers))
        for row in rows:
            row["package"] = code
        weight = round(sum(row["quantity"] for row in rows) * 1.5, 3)
        tracking = f"SIM{next(self.numbers):09d}"
        return [{"sscc": code, "weight_kg": weight, "tracking_ref": tracking, "carrier": "sim"}]

    # ------------------------------------------------------------- stock
    def post_stock(self, request):
        body = json_body(request)
        with self._lock:
            self.stock = {
                (line["sku"], line.get("lot") or None): line["quantity"]
                for line in body.get("lines", [])
            }
        return Reply.json(200, {"lines": len(self.stock)})

    def post_snapshot(self, request):
        body = json_body(request)
        if not body.get("warehouse"):
            raise bad_field("warehouse", "required")
        with self._lock:
            lines = []
            for (sku, lot), qty in sorted(self.stock.items(), key=str):
                if self.rng.random() < self.knobs.snapshot_drift:
                    qty += self.rng.choice((-3, -2, -1, 1, 2, 3))
                lines.append({"sku": sku, "lot": lot, "quantity": qty, "status": "available"})
            self.counters["snapshots"] += 1
            event = {
                "event_id": f"3pl-snap-{next(self.numbers)}",
                "shipment_ref": f"SNAP-{body['warehouse']}-{next(self.numbers)}",
                "occurred_at": now_text(),
                "type": "tpl_stock_snapshot",
                "warehouse": body["warehouse"],
                "taken_at": now_text(),
                "lines": lines,
            }
            self._send([event])
        return Reply.json(200, {"event": event})

    # ------------------------------------------------------------- supplier notices
    def post_inbound_asn(self, request):
        """Play a supplier: ``{"order_ref", "lines": [{sku, quantity, tracking}],
        "expected_at"?}`` becomes a ``tpl_inbound_asn`` event (lots and serial
        numbers with expiry dates a year out, one SSCC-18 package), sent and returned."""
        body = json_body(request)
        if not body.get("order_ref"):
            raise bad_field("order_ref", "required")
        if not body.get("lines"):
            raise bad_field("lines", "required")
        with self._lock:
            code = sscc.build(self.knobs.gs1_prefix, next(self.numbers))
            expiry = date.fromordinal(date.today().toordinal() + 365).isoformat()
            rows = []
            for line in body["lines"]:
                tracking = line.get("tracking", "none")
                if tracking == "none":
                    rows.append({"sku": line["sku"], "quantity": line["quantity"], "sscc": code})
                    continue
                units = [1] * int(line["quantity"]) if tracking == "serial" else [line["quantity"]]
                prefix = "SUPSN" if tracking == "serial" else "SUPLOT"
                rows.extend(
                    {
                        "sku": line["sku"],
                        "quantity": unit,
                        "lot": f"{prefix}-{next(self.numbers)}",
                        "expiry_date": expiry,
                        "sscc": code,
                    }
                    for unit in units
                )
            number = next(self.numbers)
            event = {
                "event_id": f"sup-asn-{number}",
                "shipment_ref": body["order_ref"],
                "occurred_at": now_text(),
                "type": "tpl_inbound_asn",
                "asn_id": f"DESADV-{number}",
                "expected_at": body.get("expected_at") or now_text(),
                "carrier": "sim",
                "tracking_ref": f"SIM{next(self.numbers):09d}",
                "packages": [{"sscc": code, "weight_kg": 12.5}],
                "lines": rows,
            }
            self._send([event])
        return Reply.json(200, {"event": event})

    def _send(self, events):
        url = self.knobs.webhook_url
        if url:
            self.webhooks.send(
                url,
                [(e["event_id"], e) for e in events],
                "canonical",
                self.knobs.duplicate_rate,
                self.knobs.webhook_retries,
            )


# --------------------------------------------------------------------------- command line


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="3PL simulator (documents, signed webhooks).")
    token = parser.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="the Bearer token the API accepts")
    token.add_argument(
        "--token-env", metavar="NAME", help="read the token from this environment variable"
    )
    parser.add_argument("--short-pick-rate", type=cli.rate_arg, default=0.0)
    parser.add_argument("--unknown-lot-rate", type=cli.rate_arg, default=0.0)
    parser.add_argument("--damage-rate", type=cli.rate_arg, default=0.0)
    parser.add_argument("--snapshot-drift", type=cli.rate_arg, default=0.0)
    parser.add_argument("--auto-confirm", action="store_true")
    parser.add_argument("--gs1-prefix", default="0614141")
    parser.add_argument(
        "--lot-sku",
        action="append",
        default=[],
        metavar="SKU",
        help="a SKU the warehouse tracks by lot (a 940 does not say); repeat for more",
    )
    x12 = parser.add_argument_group("X12 over SFTP (the simulator logs in as the 3PL)")
    x12.add_argument("--x12-sftp-port", type=int, help="the SFTP server's port: turns it on")
    x12.add_argument("--x12-sftp-host", default="127.0.0.1", help="a loopback address")
    x12.add_argument("--x12-sftp-user", default="3pl")
    x12.add_argument("--x12-sftp-key-file", help="the 3PL's private key (else a password)")
    x12.add_argument("--x12-sftp-password-env", metavar="NAME", help="the password's variable")
    x12.add_argument(
        "--x12-sftp-host-key",
        help="the server's pinned host key: SHA256:... fingerprint or an OpenSSH key line",
    )
    x12.add_argument("--x12-inbox", default="to-3pl", help="where the 940s arrive")
    x12.add_argument("--x12-outbox", default="from-3pl", help="where the 997s and 945s go")
    x12.add_argument(
        "--x12-poll-interval",
        type=cli.non_negative_arg,
        default=5.0,
        help="seconds between two polls; 0: only on POST /_sim/x12/poll (and after a pick)",
    )
    cli.add_common_arguments(parser)
    args = parser.parse_args(argv)
    cli.check_common_arguments(parser, args, NAME)
    if args.token_env:
        args.token = os.environ.get(args.token_env, "")
        if not args.token:
            parser.error(f"--token-env: {args.token_env} is not set")
    try:
        standard_webhooks_key(args.webhook_secret)
        as_prefix(args.gs1_prefix)
    except ValueError as exc:
        parser.error(str(exc))
    if args.x12_sftp_port:
        _check_x12_arguments(parser, args)
    return args


def _check_x12_arguments(parser, args):
    if not is_loopback_host(args.x12_sftp_host):
        parser.exit(2, f"{NAME}: refusing to connect to {args.x12_sftp_host}: loopback only\n")
    if not args.x12_sftp_host_key:
        parser.error("--x12-sftp-host-key: the server's host key must be pinned")
    args.x12_private_key = args.x12_password = None
    if args.x12_sftp_key_file:
        try:
            with open(args.x12_sftp_key_file, encoding="ascii") as handle:
                args.x12_private_key = handle.read()
        except OSError as exc:
            parser.error(f"--x12-sftp-key-file: {exc}")
    elif args.x12_sftp_password_env:
        args.x12_password = os.environ.get(args.x12_sftp_password_env, "")
        if not args.x12_password:
            parser.error(f"--x12-sftp-password-env: {args.x12_sftp_password_env} is not set")
    else:
        parser.error("--x12-sftp-port needs --x12-sftp-key-file or --x12-sftp-password-env")


def main(argv=None):
    args = parse_args(argv)
    cli.configure_logging("3pl-sim")
    knobs = TplKnobs(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        duplicate_rate=args.duplicate_rate,
        reorder=args.reorder,
        webhook_url=args.webhook_url or None,
        webhook_interval=args.webhook_interval,
        webhook_retries=args.webhook_retries,
        timeout_sleep=args.timeout_sleep,
        short_pick_rate=args.short_pick_rate,
        unknown_lot_rate=args.unknown_lot_rate,
        damage_rate=args.damage_rate,
        snapshot_drift=args.snapshot_drift,
        auto_confirm=args.auto_confirm,
        gs1_prefix=args.gs1_prefix,
    )
    simulator = TplSimulator(
        token=args.token,
        webhook_secret=args.webhook_secret,
        knobs=knobs,
        seed=args.seed,
        lot_skus=args.lot_sku,
    )
    if args.x12_sftp_port:
        simulator.mailbox = X12Mailbox(
            simulator,
            host="127.0.0.1" if args.x12_sftp_host == "localhost" else args.x12_sftp_host,
            port=args.x12_sftp_port,
            username=args.x12_sftp_user,
            host_key=args.x12_sftp_host_key,
            private_key=args.x12_private_key,
            password=args.x12_password,
            inbox=args.x12_inbox,
            outbox=args.x12_outbox,
            poll_interval=args.x12_poll_interval,
        )
    return cli.serve(simulator, args, NAME, server_version="Sim3PL/1")
