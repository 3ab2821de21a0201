# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator, run as a real process on 127.0.0.1 and used over HTTP.

A webhook receiver on 127.0.0.1 checks every Standard Webhooks signature (the
``standardwebhooks`` package, as Odoo does); confirmations and snapshots are
checked against the addon's JSON Schemas.  No test asserts a time.
"""

import base64
import importlib.util
import json
import os
import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "logistics_sync_3pl"
SCRIPT = ADDON / "simulator" / "tpl_simulator.py"
TOKEN = "3pl-test-token"
SECRET = "whsec_" + base64.b64encode(b"3pl-simulator-test-secret-32byte").decode()
WAIT = 20


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entry_point = _load("lsync_tpl_simulator", SCRIPT)
sscc = _load("lsync_tpl_sscc", ADDON / "lib" / "sscc.py")


def schema(name):
    return Draft202012Validator(
        json.loads((ADDON / "schemas" / name).read_text()),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def order(doc_id, version=1, lines=None, document_type="shipping_order"):
    return {
        "schema_version": 1,
        "document_type": document_type,
        "document_id": doc_id,
        "version": version,
        "warehouse": "W3PL",
        "party": {"name": "Ada Client"},
        "lines": lines
        or [
            {"line_id": 1, "sku": "WIDGET", "quantity": 10, "unit": "Units", "tracking": "none"},
            {"line_id": 2, "sku": "PAINT", "quantity": 4, "unit": "Units", "tracking": "lot"},
        ],
    }


class Receiver:
    def __init__(self):
        self.events, self.refused = [], 0
        self._cond = threading.Condition()
        verifier, receiver = Webhook(SECRET), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload, status = verifier.verify(body, headers), 202
                except WebhookVerificationError:
                    payload, status = None, 401
                with receiver._cond:
                    if payload:
                        receiver.events.append(payload)
                    else:
                        receiver.refused += 1
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/logistics_sync/v1/events/demo-3pl"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count):
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= count, timeout=WAIT)
            return list(self.events)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Sim:
    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False

    def send(self, doc, key=None, token=TOKEN):
        key = key or f"{doc['document_id']}-v{doc['version']}-send"
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        return self.http.post(f"{self.url}/3pl/v1/documents", json=doc, headers=headers, timeout=10)

    def control(self, path, body=None):
        response = self.http.post(f"{self.url}{path}", json=body or {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self):
        return self.http.get(f"{self.url}/_sim/stats", timeout=10).json()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def start_sim(tmp_path, receiver):
    processes = []

    def start(*extra):
        args = ["--token", TOKEN, "--webhook-secret", SECRET, "--max-lifetime", "120"]
        args += ["--webhook-interval", "0.05", "--seed", "7", "--webhook-url", receiver.url]
        process, url = entry_point.spawn(
            [*args, *extra], log_path=tmp_path / f"sim-{len(processes)}.log", timeout=WAIT
        )
        processes.append(process)
        return Sim(url)

    yield start
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def test_sscc_check_digit():
    # GS1's own example: 1 0614141 123456789 check digit 7
    assert sscc.build("0614141", "123456789", extension="1") == "106141411234567897"
    assert sscc.is_valid("106141411234567897")
    assert not sscc.is_valid("106141411234567898")
    with pytest.raises(ValueError):
        sscc.build("12", 1)


def test_documents_versions_idempotency_and_cancel(start_sim):
    sim = start_sim()
    assert sim.send(order("W3PL/OUT/1"), token="wrong").status_code == 401
    first = sim.send(order("W3PL/OUT/1"))
    assert first.status_code == 201, first.text
    assert sim.send(order("W3PL/OUT/1")).json() == first.json()  # same key: same answer
    stale = sim.send(order("W3PL/OUT/1"), key="other")
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "stale_version")
    assert sim.send(order("W3PL/OUT/1", version=2)).status_code == 201
    cancel = sim.http.post(
        f"{sim.url}/3pl/v1/documents/W3PL%2FOUT%2F1/cancel",
        json={"document_id": "W3PL/OUT/1", "version": 3, "reason": "customer"},
        headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "c3"},
        timeout=10,
    )
    assert cancel.status_code == 200, cancel.text
    late = sim.send(order("W3PL/OUT/1", version=4))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "document_cancelled")
    assert sim.stats()["writes"] == {
        "W3PL/OUT/1:v1": 1,
        "W3PL/OUT/1:v2": 1,
        "W3PL/OUT/1:v3:cancel": 1,
    }


def test_auto_confirm_short_picks_signed_and_valid(start_sim, receiver):
    sim = start_sim("--auto-confirm", "--short-pick-rate", "1")
    sim.control("/_sim/stock", {"lines": [{"sku": "PAINT", "lot": "L-1", "quantity": 20}]})
    assert sim.send(order("W3PL/OUT/2")).status_code == 201
    event = receiver.wait_for(1)[0]
    assert receiver.refused == 0
    assert list(schema("tpl_shipping_confirmation_v1.json").iter_errors(event)) == []
    assert event["shipment_ref"] == "W3PL/OUT/2"
    shipped = {row["sku"]: row["quantity"] for row in event["lines"]}
    assert shipped.get("WIDGET", 0) < 10 and shipped.get("PAINT", 0) < 4  # every line short
    assert all(row["lot"] == "L-1" for row in event["lines"] if row["sku"] == "PAINT")
    for package in event["packages"]:
        assert sscc.is_valid(package["sscc"])
    assert sim.stats()["short_picks"] == 1


def test_receipt_damage_and_snapshot_drift(start_sim, receiver):
    sim = start_sim("--damage-rate", "1", "--snapshot-drift", "1")
    advice = order(
        "W3PL/IN/1",
        document_type="receipt_advice",
        lines=[{"line_id": 1, "sku": "PAINT", "quantity": 5, "unit": "Units", "tracking": "lot"}],
    )
    assert sim.send(advice).status_code == 201
    event = sim.control("/_sim/pick/W3PL%2FIN%2F1")["event"]
    assert list(schema("tpl_receipt_confirmation_v1.json").iter_errors(event)) == []
    assert sum(row.get("damaged_quantity", 0) for row in event["lines"]) == 1
    assert sum(row["quantity"] for row in event["lines"]) == 4
    snapshot = sim.control("/_sim/snapshot", {"warehouse": "W3PL"})["event"]
    assert list(schema("tpl_stock_snapshot_v1.json").iter_errors(snapshot)) == []
    stock = {(s["sku"], s["lot"]): s["quantity"] for s in sim.stats()["stock"]}
    # every line drifted (rate 1) by 1 to 3
    for line in snapshot["lines"]:
        assert 1 <= abs(line["quantity"] - stock[(line["sku"], line["lot"])]) <= 3
    assert len(receiver.wait_for(2)) == 2  # both sent, signed


def test_supplier_notice_signed_and_valid(start_sim, receiver):
    sim = start_sim()
    lines = [
        {"sku": "WIDGET", "quantity": 4},
        {"sku": "PAINT", "quantity": 3, "tracking": "lot"},
        {"sku": "DRILL", "quantity": 2, "tracking": "serial"},
    ]
    event = sim.control("/_sim/inbound_asn", {"order_ref": "P00012", "lines": lines})["event"]
    assert list(schema("tpl_inbound_asn_v1.json").iter_errors(event)) == []
    assert (event["type"], event["shipment_ref"]) == ("tpl_inbound_asn", "P00012")
    (package,) = event["packages"]
    assert sscc.is_valid(package["sscc"])
    assert all(row["sscc"] == package["sscc"] for row in event["lines"])
    rows = sorted((row["sku"], row["quantity"], bool(row.get("lot"))) for row in event["lines"])
    assert rows == [
        ("DRILL", 1, True),
        ("DRILL", 1, True),
        ("PAINT", 3, True),
        ("WIDGET", 4, False),
    ]
    assert all(row["expiry_date"] for row in event["lines"] if row.get("lot"))
    assert receiver.wait_for(1)[0]["event_id"] == event["event_id"]
    assert receiver.refused == 0
    missing = sim.http.post(f"{sim.url}/_sim/inbound_asn", json={"lines": lines}, timeout=10)
    assert missing.status_code == 400
