# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Customer notifications end to end: a real Odoo with its queue_job runner and mail
queue, the carrier simulator booking the transfers and posting their tracking webhooks
(signed canonical events, half of them POSTed twice, pairs swapped: IT before PU, DL
before OD), and a local SMTP catcher (logistics_sync_notify/simulator/mail_catcher.py).

Every transfer's customer gets exactly two emails at the catcher, "shipped" then
"delivered", none twice: duplicates are refused by base, the swapped late events are
superseded, and "out for delivery" arriving after "delivered" is stale.

LS_NOTIFY_LIVE_COUNT sets the number of transfers (20 by default; the issue names 100).
"""

import importlib.util
import os
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"
CATCHER = ROOT / "logistics_sync_notify" / "simulator" / "mail_catcher.py"
LAUNCHER = ROOT / "logistics_sync_base" / "simulator" / "launcher.py"
COUNT = int(os.environ.get("LS_NOTIFY_LIVE_COUNT", "20"))
CODE = "live-notify"
DEBOUNCE_SECONDS = 2


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catcher(tmp_path_factory):
    launcher = _load(LAUNCHER, "lsync_notify_launcher")
    folder = tmp_path_factory.mktemp("mail")
    process, url = launcher.spawn(CATCHER, ["--dir", folder, "--max-lifetime", "600"])
    try:
        yield folder, int(url.rsplit(":", 1)[1])
    finally:
        launcher.stop(process)


@pytest.fixture(scope="module")
def setup(odoo_server, catcher):
    """The endpoint (webhooks), the delivery method, the company's notifications on,
    Odoo's outgoing mail server pointing at the catcher."""
    server = odoo_server
    _folder, smtp_port = catcher
    server.call("ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True")
    server.call("ir.config_parameter", "set_param", "web.base.url", server.url)
    server.call(
        "ir.mail_server",
        "create",
        {
            "name": "Live mail catcher",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_encryption": "none",
            "sequence": 1,
        },
    )
    # the admin's company: the transfers below are created there
    [admin] = server.call("res.users", "search_read", [("login", "=", "admin")], ["company_id"])
    company = admin["company_id"][0]
    kinds = server.call("logistics.notify.kind", "search", [])
    server.call(
        "res.company",
        "write",
        [company],
        {
            "logistics_notify_kind_ids": [(6, 0, kinds)],
            "logistics_notify_debounce_seconds": DEBOUNCE_SECONDS,
            "email": "shipping@example.com",
        },
    )
    endpoint_id = server.call(
        "logistics.endpoint",
        "create",
        {
            "name": "Live notify carrier",
            "code": CODE,
            "kind": "carrier",
            "auth_type": "api_key",
            "api_key_header": "X-API-Key",
            "auth_api_key": "notify-key",
            "http_timeout": 5,
            "tracking_mode": "webhook",
            "channel_capacity": 2,
            "base_url": "http://127.0.0.1:9",  # set below, once the simulator listens
        },
    )
    [secret] = server.call("logistics.endpoint", "read", [endpoint_id], ["signing_secret"])
    return {"endpoint": endpoint_id, "secret": secret["signing_secret"], "company": company}


@pytest.fixture(scope="module")
def simulator(odoo_server, setup):
    process, url = _load(SIMULATOR, "lsync_carrier_simulator_notify").spawn(
        [
            "--api-key",
            "notify-key",
            "--username",
            "live",
            "--password",
            "live-password",
            "--webhook-secret",
            setup["secret"],
            "--webhook-interval",
            "3600",
            "--seed",
            "24",
            "--max-lifetime",
            "600",
        ]
    )
    try:
        odoo_server.call("logistics.endpoint", "write", [setup["endpoint"]], {"base_url": url})
        requests.post(
            f"{url}/_sim/config",
            json={"webhook_format": "canonical", "duplicate_rate": 0.5, "reorder": True},
            timeout=5,
        ).raise_for_status()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _validated_transfers(server, endpoint_id, count):
    product_id = server.call(
        "product.product", "create", {"name": "Live notify shipping", "type": "service"}
    )
    carrier_id = server.call(
        "delivery.carrier",
        "create",
        {
            "name": "Live notify carrier",
            "product_id": product_id,
            "delivery_type": "logistics_sync",
            "integration_level": "rate_and_ship",
            "logistics_endpoint_id": endpoint_id,
        },
    )
    [warehouse] = server.call(
        "stock.warehouse", "search_read", [], ["out_type_id", "lot_stock_id"], limit=1
    )
    stock = warehouse["lot_stock_id"][0]
    customers = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)[0]
    product = server.call(
        "product.product",
        "create",
        {"name": "Live notify parcel", "is_storable": False, "weight": 1},
    )
    pickings = {}
    for index in range(count):
        email = f"live-notify-{index}@example.com"
        partner = server.call(
            "res.partner",
            "create",
            {
                "name": f"Live notify customer {index}",
                "email": email,
                "city": "Lyon",
                "zip": "69001",
            },
        )
        picking_id = server.call(
            "stock.picking",
            "create",
            {
                "picking_type_id": warehouse["out_type_id"][0],
                "partner_id": partner,
                "location_id": stock,
                "location_dest_id": customers,
                "carrier_id": carrier_id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Live notify parcel",
                            "product_id": product,
                            "product_uom_qty": 1,
                            "location_id": stock,
                            "location_dest_id": customers,
                        },
                    )
                ],
            },
        )
        server.call("stock.picking", "action_confirm", [picking_id])
        moves = server.call("stock.move", "search", [("picking_id", "=", picking_id)])
        server.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
        assert server.call("stock.picking", "button_validate", [picking_id]) is True
        pickings[picking_id] = email
    return pickings


def _caught(folder):
    """The messages to this test's customers (the mail queue also sends what other
    tests left in it, now that there is a mail server)."""
    return [
        message
        for message in _load(CATCHER, "lsync_mail_catcher_read").read_index(folder)
        if any(address.startswith("live-notify-") for address in message["to"])
    ]


def _advance_all(sim, shipments, times):
    for shipment in shipments:
        for _ in range(times):
            requests.post(f"{sim}/_sim/advance/{shipment}", timeout=10).raise_for_status()


def test_each_customer_gets_each_message_once(odoo_server, setup, simulator, catcher):
    server, (folder, _port) = odoo_server, catcher
    started = time.monotonic()
    pickings = _validated_transfers(server, setup["endpoint"], COUNT)
    ids = list(pickings)

    def booked():
        rows = server.call(
            "logistics.carrier.booking",
            "search_read",
            [("picking_id", "in", ids), ("shipment_id", "!=", False)],
            ["picking_id", "shipment_id"],
        )
        return rows if len({row["picking_id"][0] for row in rows}) == len(ids) else None

    rows = server.wait_until(booked, timeout=120, interval=1, message="every transfer booked")
    shipments = sorted({row["shipment_id"] for row in rows})

    def milestones_are(milestone):
        read = server.call("stock.picking", "read", ids, ["logistics_milestone"])
        return all(row["logistics_milestone"] == milestone for row in read)

    def caught(count):
        return len(_caught(folder)) >= count

    # picked up + in transit (sent swapped: IT, then PU): one "shipped" email each
    _advance_all(simulator, shipments, 2)
    server.wait_until(
        lambda: milestones_are("in_transit"),
        timeout=60,
        interval=0.5,
        message="every transfer in transit",
    )
    server.wait_until(lambda: caught(COUNT), timeout=60, interval=0.5, message="shipped emails")
    # out for delivery + delivered (sent swapped: DL, then OD): one "delivered" email each
    _advance_all(simulator, shipments, 2)
    server.wait_until(
        lambda: milestones_are("delivered"),
        timeout=60,
        interval=0.5,
        message="every transfer delivered",
    )
    server.wait_until(
        lambda: caught(2 * COUNT), timeout=60, interval=0.5, message="delivered emails"
    )

    # nothing more comes: the debounce jobs are done and the mail queue is empty
    def settled():
        jobs = server.call(
            "queue.job",
            "search_count",
            [
                ("method_name", "=", "_job_logistics_notify"),
                ("state", "not in", ("done", "cancelled", "failed")),
            ],
        )
        mails = server.call("mail.mail", "search_count", [("state", "=", "outgoing")])
        return jobs == 0 and mails == 0

    server.wait_until(settled, timeout=60, interval=0.5, message="notifications settled")
    time.sleep(DEBOUNCE_SECONDS + 1)
    messages = _caught(folder)
    assert len(messages) == 2 * COUNT
    per_recipient = Counter(address for message in messages for address in message["to"])
    assert per_recipient == {email: 2 for email in pickings.values()}
    subjects = Counter(
        (
            message["to"][0],
            "delivered"
            if "delivered" in message["subject"]
            else "shipped"
            if "shipped" in message["subject"]
            else message["subject"],
        )
        for message in messages
    )
    assert set(subjects.values()) == {1}, "no message twice"
    assert {kind for _to, kind in subjects} == {"shipped", "delivered"}
    # the record on the transfers says the same
    notes = server.call(
        "logistics.notification",
        "search_read",
        [("picking_id", "in", ids)],
        ["picking_id", "kind", "state", "recipient"],
    )
    sent = Counter((n["picking_id"][0], n["kind"]) for n in notes if n["state"] == "sent")
    assert sent == {(pid, kind): 1 for pid in ids for kind in ("shipped", "delivered")}
    assert {n["state"] for n in notes} <= {"sent", "skipped"}
    # the simulator did send duplicates and swapped pairs: base refused or superseded them
    events = server.call(
        "logistics.event", "search_read", [("endpoint_id", "=", setup["endpoint"])], ["state"]
    )
    states = Counter(e["state"] for e in events)
    # 4 milestones each, all applied or superseded (a swapped pair in one batch is
    # applied in source order; in two batches the late one is superseded)
    assert sum(states.values()) == 4 * COUNT, states
    assert set(states) <= {"applied", "superseded"}, states
    assert states["superseded"] > 0, states
    stats = requests.get(f"{simulator}/_sim/stats", timeout=5).json()
    assert stats["webhooks_sent"] > 4 * COUNT, "some webhooks were POSTed twice"
    print(
        f"\n{COUNT} transfers, {len(messages)} emails caught in {time.monotonic() - started:.1f} s"
    )
