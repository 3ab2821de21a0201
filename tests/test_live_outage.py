# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""PostgreSQL goes away under a real Odoo server: the webhook answers the contract's
503 with Retry-After and a JSON body (never Odoo's HTML 404 or 500), stores nothing
half, and works again once the database is back.

Odoo reaches PostgreSQL through a TCP proxy (tests/tcp_proxy.py) that the test cuts,
so the cluster the other live tests share keeps running.
"""

import json
import uuid

import pytest
import requests
from conftest import DATABASE_CUT, launch_odoo
from tcp_proxy import TcpProxy
from test_live_webhook import _endpoint, _event, _open_transfer, _signed


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory, odoo_server):
    options = odoo_server.db_options
    proxy = TcpProxy(options.get("db_host") or "127.0.0.1", options.get("db_port") or 5432)
    try:
        with launch_odoo(
            tmp_path_factory.mktemp("odoo-outage"),
            "root:2",
            workers=2,
            max_cron_threads=0,
            db_host="127.0.0.1",
            db_port=proxy.port,
        ) as server:
            yield server, proxy
    finally:
        proxy.stop()


def _post(server, code, secret, event):
    body = json.dumps(event)
    return requests.post(
        f"{server.url}/logistics_sync/v1/events/{code}",
        data=body,
        headers=_signed(secret, body, event["event_id"]),
        timeout=30,
    )


@pytest.mark.server_log_allows(*DATABASE_CUT)  # the database cut on purpose
def test_database_away_answers_503_with_retry_after(proxied_server, odoo_server):
    server, proxy = proxied_server
    endpoint_id, secret = _endpoint(odoo_server, "live-outage")
    ref = _open_transfer(odoo_server)["name"]
    # warm: every worker has the registry and pooled connections (which the cut kills)
    for _ in range(4):
        event = _event(f"outage-warm-{uuid.uuid4()}", ref, "picked_up")
        assert _post(server, "live-outage", secret, event).status_code == 202

    proxy.cut()
    lost = [f"outage-down-{uuid.uuid4()}" for _ in range(6)]
    for event_id in lost:
        response = _post(server, "live-outage", secret, _event(event_id, ref, "picked_up"))
        assert response.status_code == 503, response.text[:300]
        assert response.headers["Retry-After"] == "5"
        assert response.headers["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == "unavailable"
        assert "nothing was stored" in error["message"]
        assert error["details"] == []
    # the unknown endpoint cannot be told either: still the 503, not a 404
    response = _post(server, "no-such-endpoint", secret, _event("x", ref))
    assert response.status_code == 503

    proxy.restore()
    retried = lost[0]
    answer = server.wait_until(
        lambda: _retry(server, secret, _event(retried, ref, "picked_up")),
        timeout=60,
        message="the webhook to accept events again",
    )
    assert answer == 202
    counts = {
        event_id: odoo_server.call(
            "logistics.event",
            "search_count",
            [("endpoint_id", "=", endpoint_id), ("external_id", "=", event_id)],
        )
        for event_id in lost
    }
    # the one the sender retried is stored once; the others were never stored
    assert counts == {event_id: int(event_id == retried) for event_id in lost}


def _retry(server, secret, event):
    status = _post(server, "live-outage", secret, event).status_code
    assert status in (202, 503), status
    return status if status == 202 else None
