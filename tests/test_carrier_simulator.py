# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier simulator, run as a real process on 127.0.0.1 and used over HTTP.

Each test starts its own simulator (``start_simulator``), with a lifecycle
interval of an hour so that events only come from ``POST /_sim/advance``
unless a test asks otherwise, and stops it by its PID at the end.
"""

import base64
import hashlib
import hmac
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import zeep
import zeep.exceptions
from standalone import addon_module
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"
WSDL = ROOT / "logistics_sync_carrier" / "wsdl" / "sim_carrier.wsdl"
BINDING = "{urn:logistics-sync:sim-carrier:1}SimCarrierBinding"

API_KEY = "sim-test-api-key"
USERNAME = "sim-user"
PASSWORD = "sim-password"
NATIVE_SECRET = "sim-native-webhook-secret"
CANONICAL_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

RECIPIENT = {
    "name": "Ada Client",
    "street": "1 rue de la Paix",
    "city": "Nice",
    "zip": "06000",
    "country": "FR",
}
FAULT_STATUSES = {500, 502, 503, 429}
WAIT = 15  # seconds; generous deadlines, never a timing assertion


def _session():
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment for 127.0.0.1
    return session


class Simulator:
    """A running simulator process and a few helpers to talk to it."""

    def __init__(self, process, port, stdout_path, stderr_path):
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path
        self.http = _session()
        self.http.headers["Authorization"] = f"Bearer {API_KEY}"

    def post(self, path, payload=None, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.http.post(self.url + path, json=payload, **kwargs)

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.http.get(self.url + path, **kwargs)

    def book(self, key, reference="SO001", weight_kg=2.0, **extra):
        payload = {"reference": reference, "weight_kg": weight_kg, "recipient": RECIPIENT, **extra}
        return self.post("/v1/shipments", payload, headers={"Idempotency-Key": key})

    def stats(self):
        response = self.get("/_sim/stats")
        assert response.status_code == 200
        return response.json()

    def config(self, **knobs):
        response = self.post("/_sim/config", knobs)
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, shipment_id):
        response = self.post(f"/_sim/advance/{shipment_id}")
        assert response.status_code == 200, response.text
        return response.json()["event"]

    def soap_client(self):
        transport = zeep.Transport(session=_session(), timeout=10, operation_timeout=10)
        client = zeep.Client(str(WSDL), transport=transport)
        return client.create_service(BINDING, f"{self.url}/soap")

    def log(self):
        return self.stderr_path.read_text()


def _load_entry_point():
    # The entry script registers the simulator packages without the addons' __init__.
    spec = importlib.util.spec_from_file_location("lsync_carrier_simulator", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entry_point = _load_entry_point()


def _arguments(options):
    settings = {
        "api_key": API_KEY,
        "username": USERNAME,
        "password": PASSWORD,
        "webhook_secret": NATIVE_SECRET,
        "webhook_interval": "3600",
        "max_lifetime": "120",
    }
    settings.update(options)
    arguments = []
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            arguments.append(flag)
        elif value is not None and value is not False:
            arguments += [flag, str(value)]
    return arguments


@pytest.fixture
def start_simulator(tmp_path):
    """Start simulators with command-line options (through the shared launcher,
    on 127.0.0.1 and a free port); each is stopped by its PID."""
    processes = []

    def start(**options):
        index = len(processes)
        port_file = tmp_path / f"sim-{index}.port"
        stdout_path = tmp_path / f"sim-{index}.out"
        stderr_path = tmp_path / f"sim-{index}.err"
        process, url = entry_point.spawn(
            _arguments(options),
            log_path=stderr_path,
            stdout_path=stdout_path,
            port_file=port_file,
            timeout=WAIT,
        )
        processes.append(process)
        port = int(url.rsplit(":", 1)[1])
        return Simulator(process, port, stdout_path, stderr_path)

    yield start

    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


class Receiver:
    """A webhook receiver on 127.0.0.1 recording every POST it gets."""

    def __init__(self, statuses=()):
        self.deliveries = []  # (headers as a dict with lower-case names, raw body)
        self.statuses = list(statuses)  # answers to give first, then 200
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.deliveries.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/carrier"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count):
        with self._cond:
            self._cond.wait_for(lambda: len(self.deliveries) >= count, timeout=WAIT)
            assert len(self.deliveries) >= count, f"{len(self.deliveries)} of {count} webhooks"
            return list(self.deliveries)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def make_receiver():
    receivers = []

    def make(statuses=()):
        receivers.append(Receiver(statuses))
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.close()


def wait_until(predicate, message):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def soap_envelope(operation, inner):
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:sim="urn:logistics-sync:sim-carrier:1"><soap:Body>'
        f"<sim:{operation}><sim:Credentials><sim:Username>{USERNAME}</sim:Username>"
        f"<sim:Password>{PASSWORD}</sim:Password></sim:Credentials>{inner}</sim:{operation}>"
        "</soap:Body></soap:Envelope>"
    )


GET_RATE = soap_envelope(
    "GetRate", "<sim:Reference>SO9</sim:Reference><sim:WeightKg>2</sim:WeightKg>"
)


# --------------------------------------------------------------------------- auth, rates


def test_health_is_open_and_v1_refuses_missing_or_wrong_credentials(start_simulator):
    sim = start_simulator()
    anonymous = _session()
    health = anonymous.get(f"{sim.url}/health", timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})

    attempts = [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"X-API-Key": "wrong-key"},
        {"Authorization": "Basic " + base64.b64encode(b"sim-user:wrong").decode()},
        {"Authorization": "Basic not-base64!"},
    ]
    for headers in attempts:
        response = anonymous.post(
            f"{sim.url}/v1/rates", json={"weight_kg": 1}, headers=headers, timeout=10
        )
        assert response.status_code == 401, headers
        assert response.json() == {"error": "unauthorized"}
    booking = anonymous.post(
        f"{sim.url}/v1/shipments",
        json={"reference": "SO1", "weight_kg": 1},
        headers={"Idempotency-Key": "k"},
        timeout=10,
    )
    assert booking.status_code == 401
    assert sim.stats()["bookings"] == 0
    log = sim.log()
    assert "POST /v1/rates -> 401" in log
    assert "wrong-key" not in log and API_KEY not in log


def test_three_authentication_schemes_are_accepted(start_simulator):
    sim = start_simulator()
    anonymous = _session()
    schemes = [
        {"Authorization": f"Bearer {API_KEY}"},
        {"X-API-Key": API_KEY},
        {"Authorization": "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()},
    ]
    for headers in schemes:
        response = anonymous.post(
            f"{sim.url}/v1/rates", json={"weight_kg": 2}, headers=headers, timeout=10
        )
        assert response.status_code == 200, headers
        assert response.json()["amount"] == 7.5
    # requests' own Basic auth, the way an adapter would send it
    basic = anonymous.post(
        f"{sim.url}/v1/rates", json={"weight_kg": 2}, auth=(USERNAME, PASSWORD), timeout=10
    )
    assert basic.status_code == 200


def test_rates_are_deterministic(start_simulator):
    sim = start_simulator()
    standard = sim.post("/v1/rates", {"reference": "SO1", "weight_kg": 2, "recipient": RECIPIENT})
    assert standard.status_code == 200
    assert standard.json() == {
        "amount": 7.5,
        "currency": "EUR",
        "service": "standard",
        "transit_days": 2,
    }
    express = sim.post("/v1/rates", {"reference": "SO1", "service": "express", "weight_kg": 2})
    assert express.json()["amount"] == 13.5
    assert express.json()["service"] == "express"
    # 5 + 1.25 * 1.1 = 6.375, rounded half up
    assert sim.post("/v1/rates", {"weight_kg": 1.1}).json()["amount"] == 6.38

    missing = sim.post("/v1/rates", {"reference": "SO1"})
    assert missing.status_code == 400
    assert missing.json()["field"] == "weight_kg"
    unknown_service = sim.post("/v1/rates", {"weight_kg": 1, "service": "teleport"})
    assert unknown_service.status_code == 400
    assert unknown_service.json()["field"] == "service"


# --------------------------------------------------------------------------- bookings


def test_booking_replay_conflict_and_bad_requests(start_simulator):
    sim = start_simulator()
    first = sim.book("key-1", reference="SO001", weight_kg=2)
    assert first.status_code == 201
    booking = first.json()
    assert booking == {
        "shipment_id": "SIM-000001",
        "tracking_number": "SIM1Z000001",
        "tracking_url": f"{sim.url}/track/SIM1Z000001",
        "label_url": "/v1/shipments/SIM-000001/label",
        "price": 7.5,
        "currency": "EUR",
        "status": "booked",
    }
    assert "Idempotent-Replayed" not in first.headers

    replay = sim.book("key-1", reference="SO001", weight_kg=2)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == booking

    conflict = sim.book("key-1", reference="SO001", weight_kg=3)
    assert conflict.status_code == 422
    assert conflict.json()["error"] == "idempotency_key_reused"

    no_key = sim.post("/v1/shipments", {"reference": "SO002", "weight_kg": 1})
    assert no_key.status_code == 400
    assert "Idempotency-Key" in no_key.json()["message"]

    no_reference = sim.post("/v1/shipments", {"weight_kg": 1}, headers={"Idempotency-Key": "k2"})
    assert no_reference.status_code == 400
    assert no_reference.json()["field"] == "reference"
    no_weight = sim.post("/v1/shipments", {"reference": "SO003"}, headers={"Idempotency-Key": "k3"})
    assert no_weight.status_code == 400
    assert no_weight.json()["field"] == "weight_kg"
    bad_json = sim.http.post(
        f"{sim.url}/v1/shipments", data=b"{not json", headers={"Idempotency-Key": "k4"}, timeout=10
    )
    assert bad_json.status_code == 400
    outside = sim.book("k5", reference="SO005", webhook_url="http://192.0.2.1/hook")
    assert outside.status_code == 400
    assert outside.json()["field"] == "webhook_url"

    stats = sim.stats()
    assert stats["bookings"] == 1
    assert stats["bookings_by_reference"] == {"SO001": 1}

    second = sim.book("key-2", reference="SO001", weight_kg=2)
    assert second.status_code == 201
    assert second.json()["shipment_id"] == "SIM-000002"
    assert sim.stats()["bookings_by_reference"] == {"SO001": 2}


def test_booking_record_labels_and_tracking_page(start_simulator):
    sim = start_simulator()
    booking = sim.book("key-1", reference="SO001").json()
    record = sim.get("/v1/shipments/SIM-000001")
    assert record.status_code == 200
    assert record.json()["reference"] == "SO001"
    assert record.json()["status"] == "booked"
    assert record.json()["cancelled"] is False
    assert record.json()["recipient"] == RECIPIENT
    assert sim.get("/v1/shipments/SIM-999999").status_code == 404

    label = sim.get(booking["label_url"])
    assert label.status_code == 200
    assert label.headers["Content-Type"] == "application/pdf"
    _assert_valid_pdf(label.content)
    assert b"SIM1Z000001" in label.content
    assert b"Ada Client" in label.content

    returned = sim.get("/v1/shipments/SIM-000001/return-label")
    assert returned.status_code == 200
    _assert_valid_pdf(returned.content)
    assert b"RETURN LABEL" in returned.content
    assert b"SIM1Z000001" in returned.content
    assert sim.get("/v1/shipments/SIM-999999/label").status_code == 404

    page = _session().get(booking["tracking_url"], timeout=10)
    assert page.status_code == 200
    assert "SIM1Z000001" in page.text


def _assert_valid_pdf(pdf):
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    xref_at = int(re.search(rb"startxref\s+(\d+)\s+%%EOF", pdf).group(1))
    assert pdf[xref_at:].startswith(b"xref")
    rows = re.findall(rb"(\d{10}) (\d{5}) n \n", pdf[xref_at:])
    assert len(rows) == 5
    for number, (offset, _generation) in enumerate(rows, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)
    length = int(re.search(rb"/Length (\d+)", pdf).group(1))
    stream = pdf.split(b"stream\n", 1)[1]
    assert stream[length:].startswith(b"\nendstream")


def test_cancel_stops_the_lifecycle_and_delivered_cannot_be_cancelled(start_simulator):
    sim = start_simulator()
    sim.book("key-1", reference="SO001")
    sim.advance("SIM-000001")
    cancelled = sim.post("/v1/shipments/SIM-000001/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json() == {"shipment_id": "SIM-000001", "status": "cancelled"}
    record = sim.get("/v1/shipments/SIM-000001").json()
    assert (record["status"], record["cancelled"]) == ("cancelled", True)
    assert sim.post("/_sim/advance/SIM-000001").status_code == 409
    assert len(sim.get("/v1/tracking/SIM1Z000001").json()["events"]) == 1

    sim.book("key-2", reference="SO002")
    for _step in range(4):
        sim.advance("SIM-000002")
    assert sim.get("/v1/shipments/SIM-000002").json()["status"] == "delivered"
    refused = sim.post("/v1/shipments/SIM-000002/cancel")
    assert refused.status_code == 409
    assert sim.get("/v1/shipments/SIM-000002").json()["cancelled"] is False
    assert sim.post("/v1/shipments/SIM-000404/cancel").status_code == 404


def test_tracking_single_and_batched(start_simulator):
    sim = start_simulator()
    sim.book("key-1", reference="SO001")
    sim.book("key-2", reference="SO002")
    assert sim.get("/v1/tracking/SIM1Z000001").json() == {
        "tracking_number": "SIM1Z000001",
        "events": [],
    }
    sim.advance("SIM-000001")
    sim.advance("SIM-000001")
    sim.advance("SIM-000002")

    tracking = sim.get("/v1/tracking/SIM1Z000001")
    assert tracking.status_code == 200
    events = tracking.json()["events"]
    assert [e["status"]["code"] for e in events] == ["PU", "IT"]
    assert [e["sequence"] for e in events] == [1, 2]
    assert events[1]["id"] == "sim-evt-SIM-000001-2"
    assert events[1]["shipment"] == {
        "id": "SIM-000001",
        "tracking_number": "SIM1Z000001",
        "reference": "SO001",
    }
    assert events[1]["location"] == {"city": "Lyon", "zip": "69001", "country_iso": "FR"}
    assert sim.get("/v1/tracking/SIM1Z999999").status_code == 404

    batch = sim.get("/v1/tracking", params={"numbers": "SIM1Z000001,SIM1Z000002,NOPE"})
    assert batch.status_code == 200
    results = batch.json()["results"]
    assert [r["tracking_number"] for r in results] == ["SIM1Z000001", "SIM1Z000002", "NOPE"]
    assert len(results[0]["events"]) == 2
    assert [e["status"]["code"] for e in results[1]["events"]] == ["PU"]
    assert results[2] == {"tracking_number": "NOPE", "error": "unknown"}
    assert sim.get("/v1/tracking").status_code == 400


# --------------------------------------------------------------------------- webhooks


def test_native_webhook_is_signed_with_hex_hmac(start_simulator, make_receiver):
    receiver = make_receiver()
    sim = start_simulator()
    sim.book("key-1", reference="SO001", webhook_url=receiver.url)
    event = sim.advance("SIM-000001")

    [(headers, body)] = receiver.wait_for(1)
    expected = hmac.new(NATIVE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-sim-signature"], expected)
    assert headers["content-type"] == "application/json"
    payload = json.loads(body)
    assert payload == event
    assert payload["id"] == "sim-evt-SIM-000001-1"
    assert payload["status"]["code"] == "PU"
    assert payload["shipment"]["reference"] == "SO001"
    wait_until(lambda: sim.stats()["webhooks_sent"] == 1, "the delivery to be counted")
    assert sim.stats()["webhooks_failed"] == 0


def test_lifecycle_runs_by_itself_to_delivered(start_simulator, make_receiver):
    receiver = make_receiver()
    sim = start_simulator(webhook_interval="0.2", webhook_url=receiver.url)
    sim.book("key-1", reference="SO001")
    deliveries = receiver.wait_for(4)
    codes = [json.loads(body)["status"]["code"] for _headers, body in deliveries]
    assert codes == ["PU", "IT", "OD", "DL"]
    delivered = json.loads(deliveries[3][1])
    assert delivered["location"] == {"city": "Nice", "zip": "06000", "country_iso": "FR"}
    assert sim.get("/v1/shipments/SIM-000001").json()["status"] == "delivered"
    assert sim.post("/v1/shipments/SIM-000001/cancel").status_code == 409
    time.sleep(0.5)  # a fifth event would have come by now
    assert len(receiver.deliveries) == 4


def test_cancel_stops_automatic_events(start_simulator, make_receiver):
    receiver = make_receiver()
    sim = start_simulator(webhook_interval="0.3", webhook_url=receiver.url)
    sim.book("key-1", reference="SO001")
    receiver.wait_for(1)
    assert sim.post("/v1/shipments/SIM-000001/cancel").status_code == 200
    produced = len(sim.get("/v1/tracking/SIM1Z000001").json()["events"])
    assert produced < 4
    time.sleep(1.5)  # several intervals: nothing more may come
    assert len(sim.get("/v1/tracking/SIM1Z000001").json()["events"]) == produced
    assert len(receiver.deliveries) == produced
    assert "Traceback" not in sim.log()


def test_canonical_webhook_follows_standard_webhooks(start_simulator, make_receiver):
    receiver = make_receiver()
    sim = start_simulator(
        webhook_format="canonical", webhook_secret=CANONICAL_SECRET, webhook_url=receiver.url
    )
    sim.book("key-1", reference="SO001")
    sim.advance("SIM-000001")
    sim.advance("SIM-000001")

    deliveries = receiver.wait_for(2)
    verified = [Webhook(CANONICAL_SECRET).verify(body, headers) for headers, body in deliveries]
    assert [p["milestone"] for p in verified] == ["picked_up", "in_transit"]
    assert verified[1] == {
        "event_id": "sim-evt-SIM-000001-2",
        "shipment_ref": "SO001",
        "milestone": "in_transit",
        "occurred_at": verified[1]["occurred_at"],
        "sequence": 2,
        "tracking_ref": "SIM1Z000001",
        "carrier": "sim",
        "source_status": "IT",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", verified[1]["occurred_at"])
    assert deliveries[1][0]["webhook-id"] == "sim-evt-SIM-000001-2"
    headers, body = deliveries[0]
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another secret").decode()).verify(body, headers)


def test_webhook_retries_back_off_exponentially():
    """A failed webhook is tried again 1, 2, 4 ... s later, at most 30 s apart, as
    real senders do: six retries by default, about a minute for a receiver to come back."""
    webhooks = addon_module("logistics_sync_base.simulator.webhooks")
    RETRIES, Delivery = webhooks.RETRIES, webhooks.Delivery  # noqa: N806

    delivery = Delivery("http://127.0.0.1:1/", "evt-1", b"{}", "native", 1)
    pauses = []
    for attempts in range(1, 9):
        delivery.attempts = attempts
        pauses.append(delivery.retry_pause())
    assert pauses == [1, 2, 4, 8, 16, 30, 30, 30]
    assert delivery.retries == RETRIES == 6
    assert sum(pauses[:RETRIES]) == 61


def test_webhook_retries_knob_is_checked(start_simulator):
    sim = start_simulator()
    for bad in (-1, 21, 2.5, True, "3"):
        response = sim.post("/_sim/config", {"webhook_retries": bad})
        assert response.status_code == 400, bad
        assert "webhook_retries" in response.json()["fields"]
    assert sim.get("/_sim/config").json()["webhook_retries"] == 6
    assert sim.config(webhook_retries=0)["webhook_retries"] == 0


def test_canonical_format_needs_a_whsec_secret(start_simulator):
    sim = start_simulator()
    response = sim.post("/_sim/config", {"webhook_format": "canonical"})
    assert response.status_code == 400
    assert "webhook_format" in response.json()["fields"]
    assert sim.get("/_sim/config").json()["webhook_format"] == "native"


def test_duplicate_rate_one_sends_every_event_twice(start_simulator, make_receiver):
    receiver = make_receiver()
    sim = start_simulator(duplicate_rate="1.0", seed="5", webhook_url=receiver.url)
    sim.book("key-1", reference="SO001")
    sim.advance("SIM-000001")
    sim.advance("SIM-000001")
    deliveries = receiver.wait_for(4)
    ids = sorted(json.loads(body)["id"] for _headers, body in deliveries)
    assert ids == ["sim-evt-SIM-000001-1"] * 2 + ["sim-evt-SIM-000001-2"] * 2
    wait_until(lambda: sim.stats()["webhooks_sent"] == 4, "four deliveries counted")
    # polling still shows each event once
    assert len(sim.get("/v1/tracking/SIM1Z000001").json()["events"]) == 2


def test_reorder_delivers_pairs_swapped(start_simulator, make_receiver):
    receiver = make_receiver()
    sim = start_simulator(reorder=True, webhook_url=receiver.url)
    sim.book("key-1", reference="SO001")
    sim.advance("SIM-000001")
    time.sleep(0.3)
    assert receiver.deliveries == []  # PU is held back until IT comes
    sim.advance("SIM-000001")
    deliveries = receiver.wait_for(2)
    assert [json.loads(body)["sequence"] for _headers, body in deliveries] == [2, 1]
    polled = sim.get("/v1/tracking/SIM1Z000001").json()["events"]
    assert [e["sequence"] for e in polled] == [1, 2]


def test_failed_webhooks_are_retried_then_given_up(start_simulator, make_receiver):
    receiver = make_receiver(statuses=[500])
    sim = start_simulator(webhook_url=receiver.url)
    sim.book("key-1", reference="SO001")
    sim.advance("SIM-000001")
    deliveries = receiver.wait_for(2)
    assert deliveries[0][1] == deliveries[1][1]
    wait_until(lambda: sim.stats()["webhooks_sent"] == 1, "the retry to succeed")
    assert sim.stats()["webhooks_failed"] == 0

    # Nobody listens on this port any more: 1 attempt + 3 retries (1, 2 and 4 s
    # later), then given up.
    sim.config(webhook_retries=3)
    closed = make_receiver()
    closed.close()
    sim.book("key-2", reference="SO002", webhook_url=closed.url)
    sim.advance("SIM-000002")
    stats = wait_until(
        lambda: (s := sim.stats())["webhooks_failed"] == 1 and s, "the delivery to be given up"
    )
    assert stats["webhook_attempts"] == 2 + 4
    assert sim.get("/health").status_code == 200


# --------------------------------------------------------------------------- faults


def test_error_rate_one_answers_only_faults(start_simulator):
    sim = start_simulator(error_rate="1.0", seed="7", timeout_sleep="2")
    anonymous = _session()
    outcomes = []
    for attempt in range(24):
        if attempt % 2:
            call = {"url": f"{sim.url}/v1/rates", "json": {"weight_kg": 1}}
        else:
            call = {
                "url": f"{sim.url}/v1/shipments",
                "json": {"reference": f"SO{attempt}", "weight_kg": 1},
                "headers": {"Idempotency-Key": f"fault-{attempt}"},
            }
        call.setdefault("headers", {})["Authorization"] = f"Bearer {API_KEY}"
        try:
            response = anonymous.post(**call, timeout=0.5)
        except (requests.ConnectionError, requests.Timeout) as exc:
            outcomes.append(type(exc).__name__)
            continue
        assert response.status_code in FAULT_STATUSES, response.text
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "1"
        outcomes.append(response.status_code)

    stats = sim.stats()
    assert stats["requests"] == 24
    assert sum(stats["faults"].values()) == 24
    assert stats["faults"]["outage"] == 0
    assert len(set(outcomes)) >= 3  # several kinds of faults, not one
    # /health and /_sim are never faulted
    assert sim.get("/health").status_code == 200


def test_scripted_faults_hit_exactly_the_requests_they_name(start_simulator):
    sim = start_simulator()
    refused = sim.post("/_sim/faults", {"next": [{"kind": "teapot"}]})
    assert refused.status_code == 400
    assert "not a fault" in refused.json()["message"]
    assert sim.post("/_sim/faults", {"next": "500"}).status_code == 400
    # an "after" fault waits for a storing request; a plain one takes the next request
    scripted = [{"kind": "500", "after": True}, {"kind": "429"}]
    assert sim.post("/_sim/faults", {"next": scripted}).status_code == 200
    rate = sim.post("/v1/rates", {"weight_kg": 1})
    assert rate.status_code == 429 and rate.headers["Retry-After"] == "1"
    lost = sim.book("scripted-1", reference="SO-SCRIPT")
    assert lost.status_code == 500  # ... after the booking was stored
    assert sim.stats()["bookings_by_reference"] == {"SO-SCRIPT": 1}
    again = sim.book("scripted-1", reference="SO-SCRIPT")
    assert again.status_code == 200, again.text  # the same key: the same booking
    assert sim.post("/v1/rates", {"weight_kg": 1}).status_code == 200  # nothing left
    assert sim.stats()["faults"]["500"] == 1 and sim.stats()["faults"]["429"] == 1


def test_idempotency_key_survives_faults_after_booking(start_simulator):
    """Retrying with one key through faults (some after the booking) books once."""
    sim = start_simulator(error_rate="0.6", seed="11", timeout_sleep="1")
    anonymous = _session()
    payload = {"reference": "SO-RETRY", "weight_kg": 1}
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "retry-key"}
    answer = None
    for _attempt in range(40):
        try:
            response = anonymous.post(
                f"{sim.url}/v1/shipments", json=payload, headers=headers, timeout=0.5
            )
        except (requests.ConnectionError, requests.Timeout):
            continue
        if response.status_code in (200, 201):
            answer = response
            break
        assert response.status_code in FAULT_STATUSES
    assert answer is not None, "40 attempts and no answer"
    sim.config(error_rate=0.0)
    again = sim.post("/v1/shipments", payload, headers={"Idempotency-Key": "retry-key"})
    assert again.status_code == 200
    assert again.json()["shipment_id"] == answer.json()["shipment_id"]
    time.sleep(1.5)  # let a request held by an injected timeout finish
    assert sim.stats()["bookings_by_reference"] == {"SO-RETRY": 1}


def test_outage_answers_503_then_recovers(start_simulator):
    sim = start_simulator()
    config = sim.config(outage=True)
    assert config["outage"] is True
    during = sim.post("/v1/rates", {"weight_kg": 1})
    assert during.status_code == 503
    assert during.headers["Retry-After"] == "2"
    soap = sim.http.post(f"{sim.url}/soap", data=GET_RATE, timeout=10)
    assert soap.status_code == 503
    assert sim.get("/health").status_code == 200
    sim.config(outage=False)
    assert sim.post("/v1/rates", {"weight_kg": 1}).status_code == 200

    sim.config(outage_seconds=1)
    assert sim.post("/v1/rates", {"weight_kg": 1}).status_code == 503
    wait_until(
        lambda: sim.post("/v1/rates", {"weight_kg": 1}).status_code == 200, "the outage to end"
    )
    assert sim.stats()["faults"]["outage"] >= 3


def test_latency_and_config_validation_and_reset(start_simulator):
    sim = start_simulator(latency_ms="0", error_rate="0")
    bad = sim.post("/_sim/config", {"error_rate": 2, "colour": "blue"})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"error_rate", "colour"}
    assert sim.get("/_sim/config").json()["error_rate"] == 0.0

    config = sim.config(latency_ms=50, duplicate_rate=0.5, reorder=True, soap_evil="dtd")
    assert (config["latency_ms"], config["duplicate_rate"], config["reorder"]) == (50, 0.5, True)
    assert sim.post("/v1/rates", {"weight_kg": 1}).status_code == 200
    sim.book("key-1", reference="SO001")
    assert sim.stats()["bookings"] == 1

    reset = sim.post("/_sim/reset")
    assert reset.status_code == 200
    assert reset.json()["config"]["latency_ms"] == 0
    assert reset.json()["config"]["soap_evil"] == ""
    stats = sim.stats()
    assert (stats["bookings"], stats["requests"], stats["bookings_by_reference"]) == (0, 0, {})
    assert sim.get("/v1/shipments/SIM-000001").status_code == 404
    # the key is forgotten too; numbers keep counting
    assert sim.book("key-1", reference="SO001").json()["shipment_id"] == "SIM-000002"


# --------------------------------------------------------------------------- SOAP


def test_soap_rate_and_booking_through_zeep(start_simulator):
    sim = start_simulator()
    service = sim.soap_client()
    credentials = {"Username": USERNAME, "Password": PASSWORD}

    rate = service.GetRate(Credentials=credentials, Reference="SO9", WeightKg=Decimal("2"))
    assert (rate.Amount, rate.Currency, rate.TransitDays) == (Decimal("7.50"), "EUR", 2)
    express = service.GetRate(
        Credentials=credentials, Reference="SO9", Service="express", WeightKg=Decimal("2")
    )
    assert express.Amount == Decimal("13.50")

    booking_args = {
        "Credentials": credentials,
        "IdempotencyKey": "soap-key-1",
        "Reference": "SO9",
        "Service": "standard",
        "WeightKg": Decimal("2"),
        "RecipientName": "Ada Client",
        "RecipientCity": "Nice",
        "RecipientZip": "06000",
        "RecipientCountry": "FR",
    }
    booked = service.BookShipment(**booking_args)
    assert booked.ShipmentId == "SIM-000001"
    assert booked.TrackingNumber == "SIM1Z000001"
    assert booked.TrackingUrl == f"{sim.url}/track/SIM1Z000001"
    assert (booked.Price, booked.Currency) == (Decimal("7.50"), "EUR")
    _assert_valid_pdf(booked.LabelPdf)
    assert b"SIM1Z000001" in booked.LabelPdf

    replayed = service.BookShipment(**booking_args)
    assert replayed.ShipmentId == "SIM-000001"
    with pytest.raises(zeep.exceptions.Fault, match="different request"):
        service.BookShipment(**{**booking_args, "WeightKg": Decimal("3")})

    # one booking store for both protocols
    record = sim.get("/v1/shipments/SIM-000001").json()
    assert (record["reference"], record["recipient"]["city"]) == ("SO9", "Nice")
    sim.advance("SIM-000001")
    tracked = service.TrackShipment(Credentials=credentials, TrackingNumber="SIM1Z000001")
    assert [(e.Code, e.City) for e in tracked] == [("PU", "Paris")]
    assert service.CancelShipment(Credentials=credentials, ShipmentId="SIM-000001") == "cancelled"

    stats = sim.stats()
    assert stats["bookings"] == 1
    assert stats["soap_requests"] == 7


def test_soap_wrong_credentials_is_a_client_fault(start_simulator):
    sim = start_simulator()
    service = sim.soap_client()
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.GetRate(
            Credentials={"Username": USERNAME, "Password": "wrong"},
            Reference="SO9",
            WeightKg=Decimal("1"),
        )
    assert fault.value.message == "Invalid credentials"
    assert fault.value.code == "soap:Client"

    raw = sim.http.post(
        f"{sim.url}/soap",
        data=GET_RATE.replace(PASSWORD, "wrong"),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
    assert raw.status_code == 500
    assert "<faultcode>soap:Client</faultcode>" in raw.text
    assert sim.stats()["bookings"] == 0


def test_soap_refuses_doctype_and_entities_in_requests(start_simulator):
    sim = start_simulator()
    evil = GET_RATE.replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="utf-8"?>'
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
    ).replace("SO9", "&xxe;")
    response = sim.http.post(f"{sim.url}/soap", data=evil, timeout=10)
    assert response.status_code == 400
    assert "refused" in response.text
    plain = sim.http.post(f"{sim.url}/soap", data=GET_RATE, timeout=10)
    assert plain.status_code == 200
    assert "<sim:Amount>7.50</sim:Amount>" in plain.text


def test_soap_evil_modes(start_simulator):
    sim = start_simulator()
    service = sim.soap_client()
    credentials = {"Username": USERNAME, "Password": PASSWORD}
    markers = {
        "xxe": ['<!ENTITY xxe SYSTEM "file:///etc/hostname">', "<sim:Amount>&xxe;</sim:Amount>"],
        "billion_laughs": ["<!ENTITY lol9", "<sim:Amount>&lol9;</sim:Amount>"],
        "dtd": [f'SYSTEM "{sim.url}/_sim/evil.dtd"'],
    }
    for mode, expected in markers.items():
        sim.config(soap_evil=mode)
        raw = sim.http.post(f"{sim.url}/soap", data=GET_RATE, timeout=10)
        assert raw.status_code == 200
        assert "<!DOCTYPE soap:Envelope" in raw.text, mode
        for marker in expected:
            assert marker in raw.text, (mode, marker)

    # zeep's defaults refuse entity declarations...
    sim.config(soap_evil="xxe")
    with pytest.raises(zeep.exceptions.EntitiesForbidden):
        service.GetRate(Credentials=credentials, Reference="SO9", WeightKg=Decimal("1"))
    # ...and never fetch an external DTD.
    sim.config(soap_evil="dtd")
    service.GetRate(Credentials=credentials, Reference="SO9", WeightKg=Decimal("1"))
    assert sim.stats()["evil_dtd_fetches"] == 0
    assert sim.get("/_sim/evil.dtd").status_code == 200
    assert sim.stats()["evil_dtd_fetches"] == 1
    assert sim.stats()["bookings"] == 0


def test_wsdl_is_served_with_the_real_address(start_simulator):
    sim = start_simulator()
    response = sim.get("/soap?wsdl")
    assert response.status_code == 200
    assert f'location="{sim.url}/soap"' in response.text
    assert "127.0.0.1:8/soap" not in response.text
    assert WSDL.read_text().count("127.0.0.1:8/soap") == 1


# --------------------------------------------------------------------------- process


def test_non_loopback_host_is_refused():
    result = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [
            sys.executable,
            str(SCRIPT),
            "--host",
            "0.0.0.0",  # noqa: S104 (the address the simulator must refuse)
            "--port",
            "0",
            "--api-key",
            API_KEY,
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
            "--webhook-secret",
            NATIVE_SECRET,
        ],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert result.stdout == ""


def test_max_lifetime_stops_the_process(start_simulator, tmp_path):
    sim = start_simulator(max_lifetime="2")
    assert sim.get("/health").status_code == 200
    assert sim.process.wait(timeout=WAIT) == 0
    assert sim.stdout_path.read_text() == f"carrier simulator listening on {sim.url}\n"
    assert not (tmp_path / "sim-0.port").exists()


def test_sigterm_stops_the_process(start_simulator):
    sim = start_simulator()
    sim.book("key-1", reference="SO001")
    os.kill(sim.process.pid, signal.SIGTERM)
    assert sim.process.wait(timeout=WAIT) == 0
    assert "stopped" in sim.log()
