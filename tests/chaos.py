# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The chaos suite: a stream of signed events into a real Odoo (prefork workers, the
cron worker, the queue_job runner) while processes die, PostgreSQL restarts and the
carrier is down; then the counts that must all be 0.

Used by tests/test_live_chaos.py (a few hundred events, in setup/test) and bench/chaos
(10,000 events).  What happens during a run:

- ``events`` signed single-event posts: per transfer an in-order stream of progress
  milestones with increasing ``sequence``; ``duplicates`` of them sent again (same
  content); all shuffled; ``senders`` threads that retry as real senders do: on
  network errors, 5xx and 429 (after ``Retry-After``), never on other 4xx;
- every ``kill_every`` seconds one of: a random HTTP worker, the cron worker, the
  queue_job runner is SIGKILLed (Odoo's master starts a new one);
- PostgreSQL restarts ``pg_restarts`` times (``restart_pg``: a real ``pg_ctl restart``
  in bench/chaos; in the test Odoo reaches PostgreSQL through a TCP proxy that is cut
  for a few seconds, so the cluster the other tests use stays up);
- the carrier simulator has an outage (every call 503) while transfers validated
  just before the stream are being booked through it (``CarrierBookings``), and the
  TMS simulator has one while sales orders are confirmed and released to it
  (``TmsReleases``);
- optionally the whole server is SIGKILLed (its process group: the master and every
  worker, as systemd or a container runtime kills) mid-stream and started again.

Then it waits until every event is processed, every booking made and every release
planned ("drain") and reads the database: acknowledged events lost, stored twice,
applied twice (one chatter line per applied event), dead letters, transfers not at
the in-order final state, bookings made twice at the carrier simulator, releases not
reaching the TMS, stored twice there or not planned, and the time to drain.

Outbound participants share a small interface: ``name``, ``prepare()``,
``outage(seconds)``, ``pending(cr)``, ``counts()`` -> (counts that must be 0, figures):
``CarrierBookings`` (bookings at the carrier simulator) and ``TmsReleases`` (sales
orders confirmed during the stream, released to the TMS simulator, answered by its
webhooks; ``close()`` stops its simulator).
"""

import base64
import hashlib
import hmac
import json
import os
import queue
import random
import re
import signal
import subprocess
import threading
import time
import xmlrpc.client
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg2
import requests
from conftest import OdooServer, _server_config, free_port

CHAIN = (
    "released",
    "booked",
    "carrier_assigned",
    "label_created",
    "picked_up",
    "in_transit",
    "in_transit",
    "in_transit",
    "in_transit",
    "out_for_delivery",
)
WORKER_RE = re.compile(r"Worker (WorkerHTTP|WorkerCron|WorkerJobRunner) \((\d+)\) alive")
NOTE_RE = re.compile(r"event ([\w.:-]+), occurred")


class ChaosServer(OdooServer):
    """An Odoo server in its own process group, which can be killed whole and started
    again on the same port and configuration."""

    def __init__(
        self, source_conf, odoo_bin, python, workdir, log_path, channels, direct=None, **overrides
    ):
        port = free_port()
        parser, options = _server_config(source_conf, port, channels)
        options.update({key: str(value) for key, value in overrides.items()})
        parser["options"] = options
        workdir.mkdir(parents=True, exist_ok=True)
        conf_path = workdir / "odoo-chaos.conf"
        with open(conf_path, "w") as handle:
            parser.write(handle)
        os.chmod(conf_path, 0o600)
        super().__init__(conf_path, port, log_path, options)
        self.command = [python, odoo_bin, "-c", str(conf_path), "--logfile", ""]
        # the driver's own connection: straight to PostgreSQL (``direct``: host, port)
        # when Odoo goes through a proxy the test cuts
        self.db_options = dict(options)
        if direct:
            self.db_options.update(db_host=direct[0], db_port=str(direct[1]))

    def start(self, timeout=120):
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"Odoo exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/web/login", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError(f"Odoo did not answer on {self.url} within {timeout} s")

    def kill_all(self):
        """SIGKILL of the master and every worker (the process group)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process:  # workers left behind by a killed master
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def workers(self):
        """{kind: [pid]} of the live children of the current master, from its log."""
        with open(self.log_path, errors="replace") as log:
            log.seek(self._log_offset)
            text = log.read()
        found = {}
        for kind, pid in WORKER_RE.findall(text):
            pid = int(pid)
            if _parent(pid) == self.process.pid:
                found.setdefault(kind, [])
                if pid not in found[kind]:
                    found[kind].append(pid)
        return found


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def chaos_channels(code):
    """queue_job channels of a chaos run on endpoint ``code`` (and its carrier and
    TMS endpoints)."""
    return (
        f"root:4,root.logistics_sync:4,root.logistics_sync.{code}:4,"
        f"root.logistics_sync.{code}-carrier:2,root.logistics_sync.{code}-tms:2"
    )


def spawn_carrier_simulator(max_lifetime):
    """The carrier simulator of a chaos run (10 % faults, 3 s timeouts, no webhooks):
    ``(process, url)``; the caller terminates it."""
    from test_live_carrier import _simulator_module

    return _simulator_module().spawn(
        [
            "--api-key",
            "chaos-key",
            "--username",
            "chaos",
            "--password",
            "chaos-password",
            "--webhook-secret",
            "unused-here",
            "--webhook-interval",
            "3600",
            "--error-rate",
            "0.1",
            "--timeout-sleep",
            "3",
            "--seed",
            "5",
            "--max-lifetime",
            str(max_lifetime),
        ]
    )


class CarrierBookings:
    """Transfers validated with the simulated carrier just before the stream: booked
    through the simulator by queue_job during the chaos.  Counts bookings per
    transfer at the simulator."""

    name = "carrier"

    def __init__(self, server, simulator_url, count, code):
        self.server, self.url, self.count, self.code = server, simulator_url, count, code
        self.picking_ids, self.names = [], []

    def prepare(self):
        from test_live_carrier import _validated_transfers

        server = self.server
        server.call(
            "ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True"
        )
        endpoint_id = server.call(
            "logistics.endpoint",
            "create",
            {
                "name": f"Chaos carrier {self.code}",
                "code": self.code,
                "kind": "carrier",
                "base_url": self.url,
                "auth_type": "api_key",
                "api_key_header": "X-API-Key",
                "auth_api_key": "chaos-key",
                "http_timeout": 2,
                "retry_base_seconds": 1,
                "circuit_threshold": 50,
                "circuit_cooldown": 2,
                "max_attempts": 100,
                "tracking_mode": "poll",
                "channel_capacity": 2,
            },
        )
        product_id = server.call(
            "product.product", "create", {"name": f"Chaos shipping {self.code}", "type": "service"}
        )
        carrier_id = server.call(
            "delivery.carrier",
            "create",
            {
                "name": f"Chaos carrier {self.code}",
                "product_id": product_id,
                "delivery_type": "logistics_sync",
                "integration_level": "rate_and_ship",
                "logistics_endpoint_id": endpoint_id,
            },
        )
        self.picking_ids = [pid for pid, _s in _validated_transfers(server, carrier_id, self.count)]
        rows = server.call("stock.picking", "read", self.picking_ids, ["name"])
        self.names = [row["name"] for row in rows]

    def outage(self, seconds):
        requests.post(
            f"{self.url}/_sim/config", json={"outage_seconds": seconds}, timeout=5
        ).raise_for_status()

    def pending(self, cr):
        cr.execute(
            "SELECT count(*) FROM stock_picking WHERE id = ANY(%s)"
            " AND logistics_booking_state IS DISTINCT FROM 'booked'",
            (self.picking_ids,),
        )
        return cr.fetchone()[0]

    def counts(self):
        stats = requests.get(f"{self.url}/_sim/stats", timeout=5).json()
        made = Counter({name: stats["bookings_by_reference"].get(name, 0) for name in self.names})
        counts = {
            "bookings made twice at the simulator": sum(1 for n in made.values() if n > 1),
            "transfers never booked": sum(1 for n in made.values() if n == 0),
        }
        info = {
            "bookings": len(self.names),
            "simulator faults and outage answers": sum(stats["faults"].values()),
        }
        return counts, info

    def close(self):
        """Nothing to undo: the simulator belongs to the caller."""


class TmsReleases:
    """Sales orders confirmed during the stream, half of them at once as the TMS
    simulator's outage starts, the others one by one after it.  Each confirmation
    releases the order's delivery to the TMS (a ``logistics.tms.route`` of this run,
    for the run's destination country only), the release job calls the simulator, and
    the simulator answers by signed webhooks (accepted, carrier_assigned, planned)
    that go through the same chaos.  Final state: ``planned``.  Counts writes per
    release at the simulator (/_sim/stats).

    The participant starts its own simulator (it needs the endpoint's signing secret)
    and ``close()`` stops it and switches the route off."""

    name = "TMS"
    COUNTRY = "IS"  # the run's orders ship there; no other test's do
    TOKEN = "chaos-tms-token"  # noqa: S105 (the simulator's, this run only)

    def __init__(self, server, count, code, webhook_url=None, max_lifetime=1800):
        self.server, self.count, self.code = server, count, code
        # where the simulator posts its answers (default: the server)
        self.webhook_url = webhook_url
        self.max_lifetime = max_lifetime
        self.order_ids, self.unconfirmed = [], []
        self.in_outage = 0  # orders confirmed while the TMS was down
        self._outage_end = None
        self.process = self.url = self.route_id = self.endpoint_id = None
        self._confirming = None

    def prepare(self):
        from test_live_tms import _simulator_module

        server = self.server
        server.call(
            "ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True"
        )
        self.endpoint_id = server.call(
            "logistics.endpoint",
            "create",
            {
                "name": f"Chaos TMS {self.code}",
                "code": self.code,
                "kind": "tms",
                "auth_type": "bearer",
                "auth_token": self.TOKEN,
                "http_timeout": 3,
                "retry_base_seconds": 1,
                "max_attempts": 100,
                "circuit_threshold": 50,
                "circuit_cooldown": 2,
                "channel_capacity": 2,
                "tms_trigger": "sale_confirm",
                "tms_carrier_codes": "sim",
            },
        )
        [endpoint] = server.call(
            "logistics.endpoint", "read", [self.endpoint_id], ["signing_secret"]
        )
        webhook_url = self.webhook_url or server.url
        self.process, self.url = _simulator_module().spawn(
            [
                "--token",
                self.TOKEN,
                "--webhook-secret",
                endpoint["signing_secret"],
                "--webhook-url",
                f"{webhook_url}/logistics_sync/v1/events/{self.code}",
                "--webhook-interval",
                "0.3",
                "--milestone-interval",
                "3600",
                "--error-rate",
                "0.1",
                "--timeout-sleep",
                "4",
                "--seed",
                "7",
                "--max-lifetime",
                str(self.max_lifetime),
            ]
        )
        server.call("logistics.endpoint", "write", [self.endpoint_id], {"base_url": self.url})
        country = server.call("res.country", "search", [("code", "=", self.COUNTRY)], limit=1)
        self.route_id = server.call(
            "logistics.tms.route",
            "create",
            {"endpoint_id": self.endpoint_id, "country_ids": [(6, 0, country)], "sequence": -100},
        )
        partner_id = server.call(
            "res.partner",
            "create",
            {
                "name": f"Chaos consignee {self.code}",
                "street": "1 Laugavegur",
                "city": "Reykjavik",
                "zip": "101",
                "country_id": country[0],
            },
        )
        product_id = server.call(
            "product.product",
            "create",
            {"name": f"Chaos pallet {self.code}", "is_storable": False, "weight": 80},
        )
        self.order_ids = server.call(
            "sale.order",
            "create",
            [
                {
                    "partner_id": partner_id,
                    "commitment_date": f"2031-05-{index % 20 + 1:02d} 10:00:00",
                    "order_line": [(0, 0, {"product_id": product_id, "product_uom_qty": 2})],
                }
                for index in range(self.count)
            ],
        )

    def outage(self, seconds):
        requests.post(
            f"{self.url}/_sim/config", json={"outage_seconds": seconds}, timeout=5
        ).raise_for_status()
        self._outage_end = time.monotonic() + seconds
        self._confirming = threading.Thread(target=self._confirm_all, args=(seconds,), daemon=True)
        self._confirming.start()

    def _confirm_all(self, seconds):
        """Half of the orders confirmed at once as the outage starts (their release
        jobs meet it), the others one by one after it, while workers keep dying."""
        half = self.order_ids[: len(self.order_ids) // 2]
        self._confirm(half)
        if time.monotonic() < self._outage_end:
            self.in_outage = len(half)
        pause = seconds / max(1, len(self.order_ids) - len(half))
        for order_id in self.order_ids[len(half) :]:
            time.sleep(pause)
            self._confirm([order_id])

    def _confirm(self, order_ids):
        """Confirm orders through XML-RPC (a connection of this thread's own), again
        after an error (a killed worker, the database away) for those that are
        still quotations."""
        models = xmlrpc.client.ServerProxy(f"{self.server.url}/xmlrpc/2/object", allow_none=True)

        def call(method, *args):
            return models.execute_kw(
                self.server.db, self.server.uid, "admin", "sale.order", method, list(args)
            )

        todo, deadline = list(order_ids), time.monotonic() + 180
        while todo:
            try:
                call("action_confirm", todo)
                return
            except (OSError, xmlrpc.client.Error):
                time.sleep(1)
            try:
                rows = call("read", todo, ["state"])
                todo = [row["id"] for row in rows if row["state"] == "draft"]
            except (OSError, xmlrpc.client.Error):
                pass
            if time.monotonic() > deadline:
                self.unconfirmed.extend(todo)
                return

    def _releases(self, cr):
        cr.execute(
            "SELECT r.name, r.state FROM logistics_tms_release r"
            " JOIN stock_picking p ON p.id = r.picking_id"
            " WHERE p.sale_id = ANY(%s) AND r.endpoint_id = %s",
            (self.order_ids, self.endpoint_id),
        )
        return dict(cr.fetchall())

    def pending(self, cr):
        if self._confirming is None or self._confirming.is_alive():
            return self.count
        releases = self._releases(cr)
        confirmed = self.count - len(self.unconfirmed)
        return max(0, confirmed - len(releases)) + sum(
            1 for state in releases.values() if state != "planned"
        )

    def counts(self):
        stats = requests.get(f"{self.url}/_sim/stats", timeout=5).json()
        with _Cursor(Chaos._connect(self.server.db_options)) as cr:
            releases = self._releases(cr)
            cr.execute(
                "SELECT state, count(*) FROM logistics_event WHERE endpoint_id = %s GROUP BY state",
                (self.endpoint_id,),
            )
            answers = dict(cr.fetchall())
        writes = {}  # release -> [writes per version and operation]
        for key, by_operation in stats["writes"].items():
            name = key.rsplit(":v", 1)[0]
            if name in releases:
                writes.setdefault(name, []).extend(by_operation.values())
        counts = {
            "releases not reaching the TMS": (self.count - len(releases))
            + sum(1 for name in releases if name not in writes),
            "releases stored twice at the TMS simulator": sum(
                1 for made in writes.values() if any(n > 1 for n in made)
            ),
            "releases not planned after the drain": (self.count - len(releases))
            + sum(1 for state in releases.values() if state != "planned"),
            "TMS answers dead-lettered": answers.get("dead", 0),
        }
        info = {
            "releases": len(releases),
            "releases confirmed in the TMS outage": self.in_outage,
            "orders not confirmed (gave up)": len(self.unconfirmed),
            "TMS answers (events by state)": answers,
            "TMS simulator faults and outage answers": stats["faults"],
            "TMS webhooks sent / failed": (stats["webhooks_sent"], stats["webhooks_failed"]),
        }
        return counts, info

    def close(self):
        if self.route_id:
            try:
                self.server.call("logistics.tms.route", "write", [self.route_id], {"active": False})
            except (OSError, xmlrpc.client.Error):
                pass
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


class Chaos:
    def __init__(
        self,
        server,
        endpoint_code,
        events=300,
        duplicates=0.3,
        senders=4,
        kill_every=3.0,
        pg_restarts=1,
        restart_pg=None,
        whole_server_kill=True,
        outbound=(),
        outage_seconds=8,
        seed=13,
        drain_timeout=600,
        log=print,
        urls=None,
    ):
        self.server = server
        self.code = endpoint_code
        self.n_events = events
        self.duplicates = duplicates
        self.n_senders = senders
        self.kill_every = kill_every
        self.pg_restarts = pg_restarts
        self.restart_pg = restart_pg
        self.whole_server_kill = whole_server_kill
        self.outbound = list(outbound)
        self.outage_seconds = outage_seconds
        self.rng = random.Random(seed)
        self.drain_timeout = drain_timeout
        self.log = log
        # where senders post: one server, or several behind no proxy (scale-out test)
        self.urls = urls
        self.acked = {}
        self.given_up = Counter()
        self.answers = Counter()
        self.served_by = Counter()
        self.kills = Counter()
        self.started_jobs_at_server_kill = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # ------------------------------------------------------------------ setup
    def prepare(self):
        server = self.server
        ids = server.call("logistics.endpoint", "search", [("code", "=", self.code)])
        if not ids:
            ids = [
                server.call(
                    "logistics.endpoint",
                    "create",
                    {"name": self.code, "code": self.code, "kind": "tms"},
                )
            ]
        self.endpoint_id = ids[0]
        self.secret = server.call("logistics.endpoint", "read", ids, ["signing_secret"])[0][
            "signing_secret"
        ]
        unique = round(self.n_events / (1 + self.duplicates))
        n_pickings = -(-unique // len(CHAIN))
        [warehouse] = server.call(
            "stock.warehouse", "search_read", [], ["out_type_id", "lot_stock_id"], limit=1
        )
        customers = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)
        picking_ids = server.call(
            "stock.picking",
            "create",
            [
                {
                    "picking_type_id": warehouse["out_type_id"][0],
                    "location_id": warehouse["lot_stock_id"][0],
                    "location_dest_id": customers[0],
                }
            ]
            * n_pickings,
        )
        pickings = server.call("stock.picking", "read", picking_ids, ["name"])
        run = datetime.now(UTC).strftime("%H%M%S")
        base = datetime.now(UTC) - timedelta(hours=3)
        self.events, self.expected = [], {}
        for picking in pickings:
            for seq, milestone in enumerate(CHAIN, start=1):
                if len(self.events) >= unique:
                    break
                self.events.append(
                    {
                        "event_id": f"chaos-{run}-{picking['id']}-{seq}",
                        "shipment_ref": picking["name"],
                        "milestone": milestone,
                        "occurred_at": (base + timedelta(minutes=seq)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                        "sequence": seq,
                        "location": {"city": f"Hub {seq}", "country": "FR"},
                    }
                )
                self.expected[picking["id"]] = (milestone, seq)
        extra = self.n_events - len(self.events)
        self.stream = self.events + [dict(e) for e in self.rng.choices(self.events, k=extra)]
        self.rng.shuffle(self.stream)
        for participant in self.outbound:
            participant.prepare()

    # ---------------------------------------------------------------- senders
    def _send(self, work):
        url_path = f"/logistics_sync/v1/events/{self.code}"
        session = requests.Session()
        key = _secret_key(self.secret)
        while True:
            try:
                event = work.get_nowait()
            except queue.Empty:
                return
            body = json.dumps(event).encode()
            delay = 0.5
            while True:
                headers = _signed(key, event["event_id"], body)
                base = random.choice(self.urls) if self.urls else self.server.url
                try:
                    response = session.post(base + url_path, data=body, headers=headers, timeout=30)
                except requests.RequestException:
                    with self._lock:
                        self.answers["network error"] += 1
                    time.sleep(delay)
                    delay = min(delay * 2, 5)
                    continue
                status = response.status_code
                with self._lock:
                    self.answers[status] += 1
                if status in (200, 202):
                    with self._lock:
                        self.acked[event["event_id"]] = status
                        self.served_by[base] += 1
                    break
                if status == 429 or status >= 500:
                    wait = response.headers.get("Retry-After")
                    time.sleep(min(float(wait), 10) if wait and wait.isdigit() else delay)
                    delay = min(delay * 2, 5)
                    continue
                with self._lock:  # a final answer: a real sender gives up
                    self.given_up[status] += 1
                break

    # ---------------------------------------------------------------- killers
    def _killer(self):
        kinds = ["WorkerHTTP", "WorkerCron", "WorkerJobRunner"]
        index = 0
        while not self._stop.wait(self.kill_every):
            kind = kinds[index % len(kinds)]
            index += 1
            pids = self.server.workers().get(kind, [])
            if not pids:
                continue
            pid = self.rng.choice(pids)
            try:
                os.kill(pid, signal.SIGKILL)
                self.kills[kind] += 1
            except ProcessLookupError:
                pass

    def _cut_pg(self):
        self.log("  chaos: PostgreSQL restarts")
        self.restart_pg()
        self.kills["PostgreSQL restart"] += 1

    def _kill_server(self):
        self.log("  chaos: whole server SIGKILLed")
        self.server.kill_all()
        self.kills["whole server"] += 1
        with self._pg() as cr:
            cr.execute("SELECT count(*) FROM queue_job WHERE state = 'started'")
            self.started_jobs_at_server_kill = cr.fetchone()[0]
        self.server.start()

    def _happen(self, what):
        if what == "outage":
            for participant in self.outbound:
                participant.outage(self.outage_seconds)
                self.kills[f"{participant.name} outage"] += 1
        elif what == "pg":
            self._cut_pg()
        else:
            self._kill_server()

    # ------------------------------------------------------------------- run
    def run(self):
        work = queue.Queue()
        for event in self.stream:
            work.put(event)
        started = time.monotonic()
        senders = [
            threading.Thread(target=self._send, args=(work,), daemon=True)
            for _ in range(self.n_senders)
        ]
        for thread in senders:
            thread.start()
        killer = threading.Thread(target=self._killer, daemon=True)
        if self.kill_every > 0:
            killer.start()
        total = len(self.stream)
        # milestones of the stream (fraction sent) at which the big events happen
        plan = [(0.15, "outage")]
        plan += [((i + 1) / (self.pg_restarts + 1) * 0.8, "pg") for i in range(self.pg_restarts)]
        if self.whole_server_kill:
            plan.append((0.55, "server"))
        plan.sort()
        while any(t.is_alive() for t in senders):
            done = 1 - work.qsize() / total
            while plan and done >= plan[0][0]:
                self._happen(plan.pop(0)[1])
            time.sleep(0.2)
        for _at, what in plan:  # a very short stream: what was not reached yet
            if what != "server":
                self._happen(what)
        self._stop.set()
        if killer.is_alive():
            killer.join()
        sent = time.monotonic() - started
        self.log(f"  {total} posts sent in {sent:.0f} s; answers {dict(self.answers)}")
        drained = self._drain()
        return self.counts(sent, drained)

    @staticmethod
    def _connect(options):
        return psycopg2.connect(
            dbname=options["db_name"],
            host=options.get("db_host") or None,
            port=options.get("db_port") or None,
            user=options.get("db_user") or None,
            password=options.get("db_password") or None,
        )

    def _pg(self):
        for _attempt in range(60):
            try:
                return _Cursor(self._connect(self.server.db_options))
            except psycopg2.OperationalError:
                time.sleep(1)
        raise AssertionError("PostgreSQL did not come back")

    def _drain(self):
        started = time.monotonic()
        deadline = started + self.drain_timeout
        while time.monotonic() < deadline:
            with self._pg() as cr:
                cr.execute(
                    "SELECT count(*) FROM logistics_event WHERE endpoint_id = %s"
                    " AND state IN ('received', 'failed')",
                    (self.endpoint_id,),
                )
                pending = cr.fetchone()[0]
                pending += sum(p.pending(cr) for p in self.outbound)
                pending += self._jobs(cr, "NOT IN ('done', 'failed', 'cancelled')")
            if not pending:
                return time.monotonic() - started
            time.sleep(1)
        return None

    def _jobs(self, cr, state_condition):
        """Jobs of this run's channels (the endpoint's, the outbound participants')."""
        cr.execute(
            f"SELECT count(*) FROM queue_job WHERE state {state_condition}"  # noqa: S608
            " AND (channel = %s OR channel LIKE %s)",
            (f"root.logistics_sync.{self.code}", f"root.logistics_sync.{self.code}-%"),
        )
        return cr.fetchone()[0]

    def counts(self, sent, drained):
        ids = [event["event_id"] for event in self.events]
        with self._pg() as cr:
            cr.execute(
                "SELECT external_id, count(*), array_agg(state) FROM logistics_event"
                " WHERE endpoint_id = %s GROUP BY external_id",
                (self.endpoint_id,),
            )
            stored = {row[0]: (row[1], row[2]) for row in cr.fetchall()}
            cr.execute(
                "SELECT id, logistics_milestone, logistics_sequence FROM stock_picking"
                " WHERE id = ANY(%s)",
                (list(self.expected),),
            )
            finals = {row[0]: (row[1], row[2]) for row in cr.fetchall()}
            cr.execute(
                "SELECT body FROM mail_message WHERE model = 'stock.picking' AND res_id = ANY(%s)",
                (list(self.expected),),
            )
            notes = Counter(
                event_id
                for (body,) in cr.fetchall()
                for event_id in NOTE_RE.findall(body or "")
                if event_id.startswith("chaos-")
            )
            stuck_jobs = self._jobs(cr, "NOT IN ('done', 'failed', 'cancelled')")
            failed_jobs = self._jobs(cr, "= 'failed'")
        states = Counter(state for _n, states in stored.values() for state in states)
        counts = {
            "acknowledged events lost": sum(1 for i in self.acked if i not in stored),
            "events stored twice": sum(1 for n, _s in stored.values() if n > 1),
            "events applied twice": sum(1 for n in notes.values() if n > 1),
            "dead letters": states.get("dead", 0),
            "transfers not at the in-order final state": sum(
                1 for pid, want in self.expected.items() if finals.get(pid) != want
            ),
            "posts given up by senders (final 4xx)": sum(self.given_up.values()),
            "jobs failed": failed_jobs,
        }
        info = {
            "posts": len(self.stream),
            "unique events": len(ids),
            "transfers": len(self.expected),
            "events never acknowledged": sum(1 for i in ids if i not in self.acked),
            "answers": dict(self.answers),
            "acknowledged by server": dict(self.served_by),
            "event states": dict(states),
            "kills": dict(self.kills),
            "started jobs at the whole-server kill": self.started_jobs_at_server_kill,
            "jobs not done": stuck_jobs,
            "sending seconds": round(sent, 1),
            "time to drain after the last post (s)": None if drained is None else round(drained, 1),
        }
        for participant in self.outbound:
            zeros, figures = participant.counts()
            counts.update(zeros)
            info.update(figures)
        return counts, info


class _Cursor:
    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.connection.autocommit = True
        return self.connection.cursor()

    def __exit__(self, *exc):
        self.connection.close()


def _secret_key(secret):
    return base64.b64decode(secret.removeprefix("whsec_"))


def _signed(key, msg_id, body):
    stamp = str(int(time.time()))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def report(counts, info, out=print):
    out("Counts (all must be 0):")
    for name, value in counts.items():
        out(f"  {name}: {value}")
    out("Run:")
    for name, value in info.items():
        out(f"  {name}: {value}")
