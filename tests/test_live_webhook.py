# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The webhook under real concurrency, against a real Odoo server (see conftest.py)."""

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import requests
from standardwebhooks.webhooks import Webhook


def _endpoint(server, code):
    ids = server.call("logistics.endpoint", "search", [("code", "=", code)])
    if not ids:
        ids = [
            server.call("logistics.endpoint", "create", {"name": code, "code": code, "kind": "tms"})
        ]
    [record] = server.call("logistics.endpoint", "read", ids, ["signing_secret"])
    return ids[0], record["signing_secret"]


def _open_transfer(server):
    ids = server.call(
        "stock.picking",
        "search",
        [("picking_type_code", "=", "outgoing"), ("state", "not in", ("done", "cancel"))],
        limit=1,
    )
    assert ids, "the demo data has no open delivery"
    return server.call("stock.picking", "read", ids, ["name"])[0]


def _signed(secret, body, msg_id):
    timestamp = datetime.now(tz=UTC)
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, timestamp, body),
    }


def _event(event_id, ref, milestone="in_transit"):
    return {
        "event_id": event_id,
        "shipment_ref": ref,
        "milestone": milestone,
        "occurred_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }


def _count(server, endpoint_id, event_id):
    return server.call(
        "logistics.event",
        "search_count",
        [("endpoint_id", "=", endpoint_id), ("external_id", "=", event_id)],
    )


def test_sixteen_parallel_identical_posts_store_one_event(odoo_server):
    endpoint_id, secret = _endpoint(odoo_server, "live-concurrency")
    picking = _open_transfer(odoo_server)
    event_id = f"par-{uuid.uuid4()}"
    body = json.dumps(_event(event_id, picking["name"]))
    url = f"{odoo_server.url}/logistics_sync/v1/events/live-concurrency"
    barrier = threading.Barrier(16)
    answers, lock = [], threading.Lock()

    def post():
        headers = _signed(secret, body, event_id)
        barrier.wait()
        response = requests.post(url, data=body, headers=headers, timeout=120)
        with lock:
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    statuses = sorted(status for status, _body in answers)
    assert len(answers) == 16
    assert statuses.count(202) == 1, statuses
    assert statuses.count(200) == 15, statuses
    for status, answer in answers:
        expected = "accepted" if status == 202 else "duplicate"
        assert answer["events"] == [{"event_id": event_id, "status": expected}]
    assert _count(odoo_server, endpoint_id, event_id) == 1
    # ... and the real job runner applies it, once.
    odoo_server.wait_until(
        lambda: odoo_server.call(
            "logistics.event",
            "search_count",
            [("external_id", "=", event_id), ("state", "=", "applied")],
        ),
        timeout=60,
        message="the event to be applied by the queue_job runner",
    )
    notes = odoo_server.call(
        "mail.message",
        "search_count",
        [
            ("model", "=", "stock.picking"),
            ("res_id", "=", picking["id"]),
            ("body", "ilike", event_id),
        ],
    )
    assert notes == 1


def test_lock_conflict_answers_503_and_stores_nothing(odoo_server):
    endpoint_id, secret = _endpoint(odoo_server, "live-locked")
    event_id = f"locked-{uuid.uuid4()}"
    body = json.dumps(_event(event_id, "WH/OUT/LOCKED"))
    url = f"{odoo_server.url}/logistics_sync/v1/events/live-locked"
    blocker = odoo_server.pg_connect()
    try:
        with blocker.cursor() as cr:
            cr.execute("LOCK TABLE logistics_event IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            response = requests.post(
                url, data=body, headers=_signed(secret, body, event_id), timeout=120
            )
            held = time.monotonic() - started
        blocker.rollback()
    finally:
        blocker.close()
    assert response.status_code == 503, (response.status_code, response.text[:300], held)
    assert response.headers["Retry-After"].isdigit()
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "nothing was stored" in error["message"]
    assert _count(odoo_server, endpoint_id, event_id) == 0
    # The same request once the lock is gone is accepted.
    retry = requests.post(url, data=body, headers=_signed(secret, body, event_id), timeout=60)
    assert retry.status_code == 202, retry.text
    assert _count(odoo_server, endpoint_id, event_id) == 1
