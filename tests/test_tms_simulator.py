# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS simulator, run as a real process on 127.0.0.1 and used over HTTP.

Each test starts its own simulator and a webhook receiver on 127.0.0.1 that
checks every Standard Webhooks signature (the ``standardwebhooks`` package, as
Odoo does); both are stopped at the end.  Deadlines are generous and no test
asserts a time.
"""

import base64
import importlib.util
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "logistics_sync_tms" / "simulator" / "tms_simulator.py"
TOKEN = "tms-test-token"
SECRET = "whsec_" + base64.b64encode(b"tms-simulator-test-secret-32byte").decode()
WAIT = 20  # seconds; generous deadlines, never a timing assertion
FAULT_STATUSES = {500, 502, 503, 429}
TENDER = ["accepted", "carrier_assigned", "planned"]
MILESTONES = ["picked_up", "in_transit", "out_for_delivery", "delivered"]


def _load_entry_point():
    spec = importlib.util.spec_from_file_location("lsync_tms_simulator", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entry_point = _load_entry_point()


def request_for(release_id, version=1, **over):
    """A plannable shipment request (TMS_API.md fields)."""
    doc = {
        "release_id": release_id,
        "version": version,
        "shipper": {"name": "Main warehouse", "country": "FR"},
        "consignee": {
            "name": "Ada Client",
            "street": "1 rue de la Paix",
            "city": "Nice",
            "zip": "06000",
            "country": "FR",
        },
        "total_weight_kg": 120.5,
        "pickup_window": {"start": "2031-03-03T08:00:00Z", "end": "2031-03-03T12:00:00Z"},
        "delivery_window": {"start": "2031-03-05T08:00:00Z", "end": "2031-03-05T17:00:00Z"},
        "service_level": "standard",
        "lines": [{"product": "Widget", "quantity": 10, "weight_kg": 120.5}],
        "packages": [],
    }
    doc.update(over)
    return doc


class Receiver:
    """Odoo's inbound URL stand-in: verifies each signature, records the events."""

    def __init__(self):
        self.events = []  # verified payloads, in arrival order
        self.refused = 0
        self._cond = threading.Condition()
        verifier = Webhook(SECRET)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = verifier.verify(body, headers)
                    status = 202 if payload["event_id"] == headers["webhook-id"] else 400
                except WebhookVerificationError:
                    payload, status = None, 401
                with receiver._cond:
                    if status == 202:
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
        self.url = f"http://127.0.0.1:{port}/logistics_sync/v1/events/demo-tms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, message):
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(self.events), timeout=WAIT)
            assert ok, f"timed out waiting for {message}; got {self.events}"
            return list(self.events)

    def of(self, release_id):
        with self._cond:
            return [e for e in self.events if e["shipment_ref"] == release_id]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Sim:
    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {TOKEN}"

    def call(self, method, path, payload=None, key=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if key:
            headers["Idempotency-Key"] = key
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, self.url + path, json=payload, headers=headers, **kwargs)

    def create(self, doc, key=None, **kwargs):
        key = key or f"{doc['release_id']}:v{doc['version']}:create"
        return self.call("POST", "/tms/v1/shipments", doc, key=key, **kwargs)

    def stats(self):
        return self.http.get(self.url + "/_sim/stats", timeout=10).json()

    def config(self, **knobs):
        response = self.http.post(self.url + "/_sim/config", json=knobs, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def script_faults(self, *faults):
        response = self.http.post(self.url + "/_sim/faults", json={"next": list(faults)})
        assert response.status_code == 200, response.text


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def start_sim(tmp_path, receiver):
    processes = []

    def start(*extra, webhook=True):
        args = ["--token", TOKEN, "--webhook-secret", SECRET, "--max-lifetime", "180"]
        args += ["--webhook-interval", "0.05", "--milestone-interval", "0.05", "--seed", "7"]
        if webhook:
            args += ["--webhook-url", receiver.url]
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


def statuses(events):
    return [e.get("status") or e.get("milestone") for e in events]


def delivered(release_id):
    return lambda events: any(
        e["shipment_ref"] == release_id and e.get("milestone") == "delivered" for e in events
    )


# --------------------------------------------------------------------------- create and answers


def test_create_is_answered_accepted_assigned_planned_then_moving(start_sim, receiver):
    sim = start_sim()
    response = sim.create(request_for("WH/OUT/00012"))
    assert response.status_code == 202
    body = response.json()
    assert body == {
        "shipment_id": body["shipment_id"],
        "release_id": "WH/OUT/00012",
        "version": 1,
        "status": "received",
    }
    assert body["shipment_id"].startswith("TMS-")
    events = receiver.wait_for(delivered("WH/OUT/00012"), "the delivery")
    assert statuses(events) == TENDER + MILESTONES
    assert receiver.refused == 0
    tender = events[:3]
    assert {e["type"] for e in tender} == {"tms_update"}
    assert {e["tms_ref"] for e in tender} == {body["shipment_id"]}
    assert {e["version"] for e in tender} == {1}
    planned = tender[2]
    assert planned["load_ref"].startswith("LOAD-")
    assert planned["planned_pickup"] == {
        "start": "2031-03-03T08:00:00Z",
        "end": "2031-03-03T12:00:00Z",
    }
    assert planned["planned_delivery"]["start"] == "2031-03-05T08:00:00Z"
    assert planned["planned_cost"]["currency"] == "EUR"
    assert planned["planned_cost"]["lines"][0]["charge_type"] == "base_freight"
    assert planned["carrier"] == "sim" and planned["tracking_ref"] == tender[1]["tracking_ref"]
    transit = events[3:]
    assert all("type" not in e and e["tracking_ref"] == planned["tracking_ref"] for e in transit)
    sequences = [e["sequence"] for e in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == 7
    assert len({e["event_id"] for e in events}) == 7
    stats = sim.stats()
    assert stats["writes"] == {"WH/OUT/00012:v1": {"create": 1}}
    assert stats["shipments_by_status"] == {"delivered": 1}
    read = sim.call("GET", f"/tms/v1/shipments/{body['shipment_id']}").json()
    assert read["status"] == "delivered" and read["load_ref"] == planned["load_ref"]
    assert [h["status"] for h in read["history"]] == statuses(events)
    by_release = sim.call("GET", "/tms/v1/shipments", params={"release_id": "WH/OUT/00012"})
    assert by_release.json()["shipment_id"] == body["shipment_id"]


def test_idempotency_key_replays_and_refuses_another_body(start_sim, receiver):
    sim = start_sim("--webhook-interval", "3600")
    doc = request_for("WH/OUT/1")
    first = sim.create(doc)
    again = sim.create(doc)
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    reused = sim.create(request_for("WH/OUT/1", total_weight_kg=3), key="WH/OUT/1:v1:create")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    missing = sim.call("POST", "/tms/v1/shipments", request_for("WH/OUT/2"))
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_required"
    bad = sim.create(request_for("WH/OUT/3"), headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    invalid = sim.create(request_for("WH/OUT/4", version=0))
    assert invalid.status_code == 400 and invalid.json()["error"]["field"] == "version"
    stats = sim.stats()
    assert stats["shipments"] == 1, "nothing stored by the refused calls"
    assert stats["writes"] == {"WH/OUT/1:v1": {"create": 1}}
    assert stats["replays"] == 1


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "over, words",
    [
        ({"total_weight_kg": 0, "lines": []}, ["weight"]),
        ({"total_weight_kg": None, "lines": [{"weight_kg": 0}]}, ["weight"]),
        ({"consignee": {"name": "No address"}}, ["street", "city", "country"]),
    ],
)
def test_tender_without_weight_or_address_is_rejected_by_webhook(start_sim, receiver, over, words):
    sim = start_sim()
    response = sim.create(request_for("WH/OUT/7", **over))
    assert response.status_code == 202, "accepted at HTTP level"
    events = receiver.wait_for(lambda ev: len(ev) >= 1, "the tender answer")
    rejected = events[0]
    assert (rejected["type"], rejected["status"]) == ("tms_update", "rejected")
    assert all(word in rejected["reason"] for word in words), rejected["reason"]
    shipment_id = response.json()["shipment_id"]
    step = sim.call("POST", f"/_sim/advance/{shipment_id}")
    assert step.status_code == 409, "nothing follows a rejection"
    assert len(receiver.of("WH/OUT/7")) == 1
    assert sim.stats()["shipments_by_status"] == {"rejected": 1}


def test_same_pickup_date_shipper_and_country_share_a_load(start_sim, receiver):
    sim = start_sim("--milestone-interval", "3600")
    other_day = {"start": "2031-03-04T08:00:00Z", "end": "2031-03-04T12:00:00Z"}
    german = dict(request_for("X")["consignee"], country="DE", city="Berlin")
    docs = [
        request_for("WH/OUT/1"),
        request_for("WH/OUT/2", total_weight_kg=10),
        request_for("WH/OUT/3", consignee=german),
        request_for("WH/OUT/4", pickup_window=other_day),
        request_for("WH/OUT/5", shipper={"name": "Second warehouse"}),
    ]
    for doc in docs:
        assert sim.create(doc).status_code == 202
    events = receiver.wait_for(
        lambda ev: sum(e.get("status") == "planned" for e in ev) == 5, "five plans"
    )
    loads = {e["shipment_ref"]: e["load_ref"] for e in events if e.get("status") == "planned"}
    assert loads["WH/OUT/1"] == loads["WH/OUT/2"]
    assert len({loads[r] for r in ("WH/OUT/1", "WH/OUT/3", "WH/OUT/4", "WH/OUT/5")}) == 4
    assert sim.stats()["loads"][loads["WH/OUT/1"]] == ["WH/OUT/1", "WH/OUT/2"]


def test_update_cancel_and_the_conflicts_after(start_sim, receiver):
    sim = start_sim("--milestone-interval", "3600")
    shipment_id = sim.create(request_for("WH/OUT/9")).json()["shipment_id"]
    receiver.wait_for(lambda ev: len(ev) >= 3, "the first plan")
    path = f"/tms/v1/shipments/{shipment_id}"
    v2 = request_for("WH/OUT/9", version=2, total_weight_kg=80.0)
    updated = sim.call("PUT", path, v2, key="WH/OUT/9:v2:update")
    assert updated.status_code == 200
    assert updated.json()["shipment_id"] == shipment_id and updated.json()["version"] == 2
    events = receiver.wait_for(
        lambda ev: [e.get("version") for e in ev if e.get("status") == "planned"] == [1, 2],
        "the plan of version 2",
    )
    assert statuses(events)[3:] == ["accepted", "carrier_assigned", "planned"]
    same = sim.call("PUT", path, v2, key="another-key-same-version")
    assert same.status_code == 200, "same version and body: an idempotent replay"
    stale = sim.call("PUT", path, request_for("WH/OUT/9"), key="WH/OUT/9:v1:update")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    cancel_body = {"release_id": "WH/OUT/9", "version": 2, "reason": "order cancelled"}
    cancelled = sim.call("POST", f"{path}/cancel", cancel_body, key="WH/OUT/9:v2:cancel")
    assert cancelled.json() == {"shipment_id": shipment_id, "status": "cancelled"}
    last = receiver.wait_for(lambda ev: ev[-1].get("status") == "cancelled", "the cancel")[-1]
    assert last["reason"] == "order cancelled" and last["version"] == 2
    again = sim.call("POST", f"{path}/cancel", cancel_body, key="WH/OUT/9:v2:cancel-again")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    refused = sim.call("PUT", path, request_for("WH/OUT/9", version=3), key="WH/OUT/9:v3")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "shipment_cancelled"
    stats = sim.stats()
    assert stats["writes"] == {
        "WH/OUT/9:v1": {"create": 1},
        "WH/OUT/9:v2": {"update": 1, "cancel": 1},
    }
    assert sim.call("GET", path).json()["version"] == 2, "the refused update changed nothing"
    assert sim.call("POST", f"/_sim/advance/{shipment_id}").status_code == 409
    unknown = sim.call("GET", "/tms/v1/shipments/TMS-999999")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_batch_creates_many_in_one_call_each_once_per_version(start_sim, receiver):
    sim = start_sim("--milestone-interval", "3600")
    assert sim.create(request_for("WH/OUT/1")).status_code == 202
    docs = [request_for(f"WH/OUT/{n}") for n in range(1, 6)]
    response = sim.call("POST", "/tms/v1/shipments/batch", {"shipments": docs}, key="batch-1")
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["release_id"] for r in results] == [d["release_id"] for d in docs]
    assert {r["status"] for r in results} == {"received"}
    assert len({r["shipment_id"] for r in results}) == 5
    replay = sim.call("POST", "/tms/v1/shipments/batch", {"shipments": docs}, key="batch-1")
    assert replay.json() == response.json() and replay.headers["Idempotent-Replayed"] == "true"
    too_many = [request_for(f"B/{n}") for n in range(501)]
    refused = sim.call("POST", "/tms/v1/shipments/batch", {"shipments": too_many}, key="b2")
    assert refused.status_code == 400
    broken = [request_for("B/1"), {"version": 1}]
    refused = sim.call("POST", "/tms/v1/shipments/batch", {"shipments": broken}, key="b3")
    assert refused.status_code == 400 and "shipments[1]" in refused.json()["error"]["message"]
    stats = sim.stats()
    assert stats["shipments"] == 5, "the refused batches stored nothing"
    assert stats["writes"] == {f"WH/OUT/{n}:v1": {"create": 1} for n in range(1, 6)}
    assert stats["batches"] == 1
    receiver.wait_for(lambda ev: sum(e.get("status") == "planned" for e in ev) == 5, "five plans")


# --------------------------------------------------------------------------- faults


def test_reset_after_storing_then_retry_with_the_key_stores_once(start_sim, receiver):
    sim = start_sim("--webhook-interval", "3600")
    sim.script_faults({"kind": "reset", "after": True}, {"kind": "503", "after": True})
    doc = request_for("WH/OUT/20")
    with pytest.raises(requests.ConnectionError):
        sim.create(doc)
    lost = sim.create(doc)
    assert lost.status_code == 503 and lost.json()["error"]["code"] == "server_error"
    final = sim.create(doc)
    assert final.status_code == 202 and final.headers["Idempotent-Replayed"] == "true"
    stats = sim.stats()
    assert stats["writes"] == {"WH/OUT/20:v1": {"create": 1}}
    assert (stats["faults"]["reset"], stats["faults"]["503"]) == (1, 1)


def test_rate_limit_outage_and_timeout(start_sim, receiver):
    sim = start_sim("--webhook-interval", "3600", "--timeout-sleep", "1")
    sim.script_faults({"kind": "429"})
    limited = sim.create(request_for("WH/OUT/1"))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["error"]["code"] == "rate_limited"
    sim.config(outage=True)
    down = sim.create(request_for("WH/OUT/1"))
    assert down.status_code == 503 and down.headers["Retry-After"] == "2"
    sim.config(outage=False)
    sim.script_faults({"kind": "timeout", "after": True})
    with pytest.raises(requests.Timeout):
        sim.create(request_for("WH/OUT/1"), timeout=0.3)
    assert sim.create(request_for("WH/OUT/1")).headers["Idempotent-Replayed"] == "true"
    assert sim.stats()["writes"] == {"WH/OUT/1:v1": {"create": 1}}


def test_thirty_percent_faults_every_release_stored_exactly_once(start_sim, receiver):
    sim = start_sim("--error-rate", "0.3", "--timeout-sleep", "0.5", "--webhook-interval", "3600")
    releases = [f"WH/OUT/{n:05d}" for n in range(1, 21)]
    for release_id in releases:
        for _try in range(40):
            try:
                answer = sim.create(request_for(release_id), timeout=0.25)
            except (requests.ConnectionError, requests.Timeout):
                continue
            if answer.status_code == 202:
                break
            assert answer.status_code in FAULT_STATUSES, answer.text
        else:
            pytest.fail(f"{release_id} never got through")
    stats = sim.stats()
    assert stats["writes"] == {f"{r}:v1": {"create": 1} for r in releases}
    assert sum(stats["faults"].values()) > 0, "the TMS did fail along the way"


# --------------------------------------------------------------------------- webhook knobs


def test_duplicate_and_out_of_order_webhooks(start_sim, receiver):
    sim = start_sim("--duplicate-rate", "1", "--reorder")
    sim.create(request_for("WH/OUT/30"))
    events = receiver.wait_for(
        lambda ev: len({e["event_id"] for e in ev}) == 7 and len(ev) == 14, "every event twice"
    )
    ids = [e["event_id"] for e in events]
    assert all(ids.count(i) == 2 for i in ids), "each event POSTed twice, same id"
    unique = list(dict.fromkeys(ids))
    sequences = [next(e["sequence"] for e in events if e["event_id"] == i) for i in unique]
    assert sequences != sorted(sequences), "delivered out of order"
    first_copies = [next(e for e in events if e["event_id"] == i) for i in unique]
    assert sorted(statuses(first_copies)) == sorted(TENDER + MILESTONES)
    assert receiver.refused == 0


def test_a_tender_left_unanswered_gets_no_webhook(start_sim, receiver):
    sim = start_sim()
    sim.config(unanswered_rate=1.0)
    silent = sim.create(request_for("WH/OUT/40")).json()["shipment_id"]
    sim.config(unanswered_rate=0.0)
    sim.create(request_for("WH/OUT/41"))
    receiver.wait_for(delivered("WH/OUT/41"), "the other release delivered")
    assert receiver.of("WH/OUT/40") == []
    assert sim.stats()["unanswered"] == ["WH/OUT/40"]
    assert sim.call("POST", f"/_sim/advance/{silent}").status_code == 409
    assert sim.call("GET", f"/tms/v1/shipments/{silent}").json()["status"] == "received"


# --------------------------------------------------------------------------- command line


def test_command_line_refuses_a_bad_secret_and_a_public_host():
    python = sys.executable
    bad_secret = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [python, str(SCRIPT), "--token", "t", "--webhook-secret", "plain", "--max-lifetime", "5"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad_secret.returncode == 2 and "whsec_" in bad_secret.stderr
    public = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [
            *(python, str(SCRIPT), "--token", "t", "--webhook-secret", SECRET, "--host"),
            "0.0.0.0",  # noqa: S104 (the address the simulator must refuse)
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert public.returncode == 2 and "loopback" in public.stderr
