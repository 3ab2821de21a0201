# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An endpoint's rate limit holds across Odoo's worker processes (real server, 3 workers)."""

import contextlib
import json
import threading
import time
import uuid

import requests
from test_live_webhook import _event, _open_transfer, _signed

LIMIT = 60


def _limited_endpoint(server):
    code = f"live-rate-{uuid.uuid4().hex[:8]}"
    endpoint_id = server.call(
        "logistics.endpoint",
        "create",
        {"name": code, "code": code, "kind": "carrier", "rate_limit_per_minute": LIMIT},
    )
    [record] = server.call("logistics.endpoint", "read", [endpoint_id], ["signing_secret"])
    return code, endpoint_id, record["signing_secret"]


def test_rate_limit_is_shared_by_all_workers(odoo_server):
    code, endpoint_id, secret = _limited_endpoint(odoo_server)
    picking = _open_transfer(odoo_server)
    event_id = f"rate-{uuid.uuid4()}"
    body = json.dumps(_event(event_id, picking["name"], "picked_up"))
    url = f"{odoo_server.url}/logistics_sync/v1/events/{code}"
    answers, lock = [], threading.Lock()
    started = time.monotonic()

    def sender(count):
        with requests.Session() as session:  # one connection per sender
            for _ in range(count):
                response = session.post(
                    url, data=body, headers=_signed(secret, body, event_id), timeout=60
                )
                with lock:
                    answers.append((time.monotonic(), response))

    # 6 concurrent senders, 150 requests: three workers answer them in parallel.
    threads = [threading.Thread(target=sender, args=(25,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    burst_seconds = time.monotonic() - started
    assert len(answers) == 150
    assert burst_seconds < 55, "the burst must fit in one window for this test to mean anything"
    statuses = [response.status_code for _at, response in answers]
    admitted = statuses.count(202) + statuses.count(200)
    refused = [response for _at, response in answers if response.status_code == 429]
    # A per-worker limiter would admit up to 3 x 60 here.
    assert abs(admitted - LIMIT) <= LIMIT * 0.1, (admitted, sorted(set(statuses)))
    assert admitted + len(refused) == 150, sorted(set(statuses))
    for response in refused:
        assert response.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    # still inside the window (the burst took under 55 s): still refused
    again = requests.post(url, data=body, headers=_signed(secret, body, event_id), timeout=60)
    assert again.status_code == 429, again.text
    # stored once (the duplicates were answered 200)
    assert (
        odoo_server.call("logistics.event", "search_count", [("endpoint_id", "=", endpoint_id)])
        == 1
    )
    # The window slides: a minute after the first admitted request, requests pass again.
    # Instead of waiting that minute, the minute passes for the endpoint's admitted
    # requests: their rows move back together (the first one 61 s old, the others as
    # far after it as they were), as the database clock they are compared with moves.
    with contextlib.closing(odoo_server.pg_connect()) as conn, conn, conn.cursor() as cr:
        cr.execute(
            """UPDATE logistics_rate_hit
                  SET at = at - GREATEST(interval '0 s',
                        (SELECT min(at) FROM logistics_rate_hit WHERE endpoint_id = %(id)s)
                        + interval '61 s' - (now() AT TIME ZONE 'UTC'))
                WHERE endpoint_id = %(id)s""",
            {"id": endpoint_id},
        )
        assert cr.rowcount == admitted, "one row per admitted request"
    later = requests.post(url, data=body, headers=_signed(secret, body, event_id), timeout=60)
    assert later.status_code == 200, later.text
