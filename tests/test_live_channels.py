# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fair channels through the real queue_job runner (logistics_sync_base/jobrunner.py).

Two endpoints created after the server started, so the runner's ``channels`` option
(``root:4,root.logistics_sync:4,...``, conftest.py) names neither.  Endpoint A is
stuck: a user holds its transfer, so each of its jobs waits.  Endpoint B's event is
still applied while A waits, because A's jobs run in A's own channel with A's
capacity (1) instead of filling the capacity every endpoint shared.  A capacity
edited in the form applies without a restart.
"""

import json
import time
import uuid

import requests
from test_live_webhook import _endpoint, _event, _signed


def _post(server, code, secret, event):
    body = json.dumps(event)
    response = requests.post(
        f"{server.url}/logistics_sync/v1/events/{code}",
        data=body,
        headers=_signed(secret, body, event["event_id"]),
        timeout=60,
    )
    assert response.status_code == 202, response.text[:300]


def _two_transfers(server):
    ids = server.call(
        "stock.picking",
        "search",
        [("picking_type_code", "=", "outgoing"), ("state", "not in", ("done", "cancel"))],
        limit=2,
    )
    assert len(ids) == 2, "the demo data has two open deliveries"
    return server.call("stock.picking", "read", ids, ["name"])


def _running(cur, channel):
    cur.execute(
        "SELECT count(*) FROM queue_job WHERE channel = %s AND state IN ('enqueued', 'started')",
        (channel,),
    )
    return cur.fetchone()[0]


def _applied(cur, endpoint_id, event_id):
    cur.execute(
        "SELECT state FROM logistics_event WHERE endpoint_id = %s AND external_id = %s",
        (endpoint_id, event_id),
    )
    row = cur.fetchone()
    return bool(row) and row[0] == "applied"


def test_a_stuck_endpoint_never_delays_another(odoo_server):
    suffix = uuid.uuid4().hex[:8]
    code_a, code_b = f"live-stuck-{suffix}", f"live-free-{suffix}"
    a_id, a_secret = _endpoint(odoo_server, code_a)
    b_id, b_secret = _endpoint(odoo_server, code_b)
    stuck, free = _two_transfers(odoo_server)
    channel_a = f"root.logistics_sync.{code_a}"
    holder = odoo_server.pg_connect()
    check = odoo_server.pg_connect()
    check.autocommit = True
    cur = check.cursor()
    try:
        with holder.cursor() as hold:  # a user saving A's transfer, for long
            hold.execute("SELECT id FROM stock_picking WHERE id = %s FOR UPDATE", (stuck["id"],))
        a_events = [f"stuck-{i}-{uuid.uuid4()}" for i in range(5)]
        for event_id in a_events:
            _post(odoo_server, code_a, a_secret, _event(event_id, stuck["name"], "picked_up"))
            time.sleep(1.5)  # each job of A starts, if A's channel lets it, and waits
        odoo_server.wait_until(
            lambda: _running(cur, channel_a) >= 1, timeout=60, message="A's first job to start"
        )
        assert _running(cur, channel_a) == 1, "A runs at most its capacity (1)"

        b_event = f"free-{uuid.uuid4()}"
        _post(odoo_server, code_b, b_secret, _event(b_event, free["name"], "picked_up"))
        odoo_server.wait_until(
            lambda: _applied(cur, b_id, b_event),
            timeout=90,
            message="B's event to be applied while A is stuck",
        )
        assert _running(cur, channel_a) == 1, "A was still stuck when B's event applied"
        assert not any(_applied(cur, a_id, event_id) for event_id in a_events)

        # A's capacity edited in the form: the runner applies it without a restart
        odoo_server.call("logistics.endpoint", "write", [a_id], {"channel_capacity": 2})
        _post(odoo_server, code_a, a_secret, _event(f"stuck-x-{suffix}", stuck["name"]))
        odoo_server.wait_until(
            lambda: _running(cur, channel_a) == 2,
            timeout=120,
            message="a second job of A to run once its capacity is 2",
        )
    finally:
        holder.rollback()
        holder.close()
    odoo_server.wait_until(
        lambda: all(_applied(cur, a_id, event_id) for event_id in a_events),
        timeout=120,
        message="A's events to be applied once its transfer is free",
    )
    check.close()
