# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""TMS release end to end: a real Odoo with its queue_job runner, the TMS simulator
answering through signed webhooks, 20 sales orders confirmed through the public API."""

import importlib.util
from pathlib import Path

import pytest
import requests
from conftest import SERIALIZATION_FAILURE

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR = ROOT / "logistics_sync_tms" / "simulator" / "tms_simulator.py"
TOKEN = "live-tms-token"  # noqa: S105 (the simulator's, in this run only)
ORDERS = 20


def _simulator_module():
    spec = importlib.util.spec_from_file_location("lsync_tms_simulator_live", SIMULATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tms(odoo_server):
    server = odoo_server
    server.call("ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True")
    # only this test's rule routes (the demo data's rule, if any, stays out of the way)
    routes = server.call("logistics.tms.route", "search", [])
    if routes:
        server.call("logistics.tms.route", "write", routes, {"active": False})
    values = {
        "name": "Live TMS",
        "kind": "tms",
        "auth_type": "bearer",
        "auth_token": TOKEN,
        "http_timeout": 3,
        "retry_base_seconds": 1,
        "max_attempts": 10,
        "circuit_threshold": 50,
        "circuit_cooldown": 2,
        "channel_capacity": 2,
        "tms_trigger": "sale_confirm",
        "tms_carrier_codes": "sim",
    }
    endpoint_id = server.call(
        "logistics.endpoint", "search", [("code", "=", "live-tms")], limit=1
    ) or server.call("logistics.endpoint", "create", dict(values, code="live-tms"))
    if isinstance(endpoint_id, list):  # a kept database: the endpoint of an earlier run
        [endpoint_id] = endpoint_id
        server.call("logistics.endpoint", "write", [endpoint_id], values)
    [endpoint] = server.call("logistics.endpoint", "read", [endpoint_id], ["signing_secret"])
    process, url = _simulator_module().spawn(
        [
            "--token",
            TOKEN,
            "--webhook-secret",
            endpoint["signing_secret"],
            "--webhook-url",
            f"{server.url}/logistics_sync/v1/events/live-tms",
            "--webhook-interval",
            "0.3",
            "--milestone-interval",
            "3600",
            "--error-rate",
            "0.2",
            "--timeout-sleep",
            "4",
            "--seed",
            "5",
            "--max-lifetime",
            "600",
        ]
    )
    try:
        server.call("logistics.endpoint", "write", [endpoint_id], {"base_url": url})
        [warehouse] = server.call("stock.warehouse", "search_read", [], ["id"], limit=1)
        server.call(
            "logistics.tms.route",
            "create",
            {"endpoint_id": endpoint_id, "warehouse_id": warehouse["id"], "sequence": 1},
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# answers and release jobs of one order at once: a conflict, logged, then run again
@pytest.mark.server_log_allows(SERIALIZATION_FAILURE)
def test_twenty_orders_confirmed_through_the_api_reach_planned(odoo_server, tms):
    server = odoo_server
    france = server.call("res.country", "search", [("code", "=", "FR")], limit=1)[0]
    partner_id = server.call(
        "res.partner",
        "create",
        {
            "name": "Live consignee",
            "street": "3 rue Live",
            "city": "Lyon",
            "zip": "69003",
            "country_id": france,
        },
    )
    product_id = server.call(
        "product.product", "create", {"name": "Live pallet", "is_storable": False, "weight": 80}
    )
    order_ids = []
    for index in range(ORDERS):
        order_id = server.call(
            "sale.order",
            "create",
            {
                "partner_id": partner_id,
                "commitment_date": f"2031-04-{index % 20 + 1:02d} 10:00:00",
                "order_line": [(0, 0, {"product_id": product_id, "product_uom_qty": 2})],
            },
        )
        server.call("sale.order", "action_confirm", [order_id])
        order_ids.append(order_id)

    def all_planned():
        rows = server.call("sale.order", "read", order_ids, ["tms_release_state"])
        return all(row["tms_release_state"] == "planned" for row in rows)

    server.wait_until(all_planned, timeout=90, interval=1, message="every order planned")
    rows = server.call(
        "sale.order", "read", order_ids, ["tms_ref", "tms_planned_delivery", "logistics_exception"]
    )
    assert all(row["tms_ref"] and row["tms_planned_delivery"] for row in rows)
    assert not any(row["logistics_exception"] for row in rows)
    stats = requests.get(f"{tms}/_sim/stats", timeout=5).json()
    # planned, and maybe moving already (the first transit milestone follows at once)
    assert sum(stats["shipments_by_status"].get(s, 0) for s in ("planned", "picked_up")) == ORDERS
    assert len(stats["writes"]) == ORDERS
    assert all(writes == {"create": 1} for writes in stats["writes"].values())
    sync_jobs = [
        ("method_name", "=", "_job_tms_sync"),
        ("channel", "=", "root.logistics_sync.live-tms"),
    ]

    def jobs_settled():
        # a job postponed by a conflict or a fault may still be waiting for its
        # retry when the answers are in: it ends "up to date"
        return not server.call(
            "queue.job", "search_count", [*sync_jobs, ("state", "not in", ("done", "failed"))]
        )

    server.wait_until(jobs_settled, timeout=90, interval=1, message="every release job ended")
    jobs = server.call("queue.job", "search_read", sync_jobs, ["state", "model_name"])
    assert len(jobs) >= ORDERS, "one job per release on the endpoint's channel (and retries)"
    assert {job["state"] for job in jobs} == {"done"}
    stats = requests.get(f"{tms}/_sim/stats", timeout=5).json()
    assert all(writes == {"create": 1} for writes in stats["writes"].values())
