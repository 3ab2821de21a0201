# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""3PL warehouse end to end: a real Odoo with its queue_job runner, the 3PL simulator
picking with 20 % short picks and confirming through signed webhooks (and API
faults), 50 deliveries made by an Inventory / User through the public API."""

import importlib.util
import xmlrpc.client
from pathlib import Path

import pytest
import requests
from conftest import SERIALIZATION_FAILURE

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR = ROOT / "logistics_sync_3pl" / "simulator" / "tpl_simulator.py"
TOKEN = "live-3pl-token"  # noqa: S105 (the simulator's, in this run only)
ORDERS = 50
QTY = 5
STOCK = 1000
# Confirmations of one product applied by concurrent jobs: Odoo's own quant reservation
# (SELECT ... FOR NO KEY UPDATE SKIP LOCKED) or valuation update meets a concurrent
# update (or a confirmation meets its document's job storing the 3PL's answer);
# PostgreSQL refuses it, Odoo logs the query as an ERROR and the job runs again
# (every event ends applied: asserted below).
QUANT_SERIALIZATION = (
    r"odoo\.sql_db: bad query: b'( UPDATE \"(stock_valuation_layer|logistics_tpl_release|stock_picking|stock_move|stock_move_line|stock_quant)\""
    r"|SELECT id FROM stock_quant"
    r" WHERE id IN \([\d, ]+\) ORDER BY lot_id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED)[\s\S]*"
    r"\nERROR: could not serialize access due to concurrent update\Z"
)


def _simulator_module():
    spec = importlib.util.spec_from_file_location("lsync_tpl_simulator_live", SIMULATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tpl(odoo_server):
    server = odoo_server
    server.call("ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True")
    values = {
        "name": "Live 3PL",
        "code": "live-3pl",
        "kind": "wms",
        "auth_type": "bearer",
        "auth_token": TOKEN,
        "http_timeout": 3,
        "retry_base_seconds": 1,
        "max_attempts": 10,
        "circuit_threshold": 50,
        "circuit_cooldown": 2,
        "channel_capacity": 2,
    }
    endpoint_id = server.call("logistics.endpoint", "create", values)
    [endpoint] = server.call("logistics.endpoint", "read", [endpoint_id], ["signing_secret"])
    process, url = _simulator_module().spawn(
        [
            "--token",
            TOKEN,
            "--webhook-secret",
            endpoint["signing_secret"],
            "--webhook-url",
            f"{server.url}/logistics_sync/v1/events/live-3pl",
            "--webhook-interval",
            "0.3",
            "--auto-confirm",
            "--short-pick-rate",
            "0.2",
            "--error-rate",
            "0.1",
            "--duplicate-rate",
            "0.1",
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
        warehouse_id = server.call(
            "stock.warehouse",
            "create",
            {"name": "Live 3PL", "code": "L3PL", "tpl_endpoint_id": endpoint_id},
        )
        yield url, warehouse_id
    finally:
        process.terminate()
        process.wait(timeout=10)


class As:
    """XML-RPC as another user (the Inventory / User of the test)."""

    def __init__(self, server, login, password):
        common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
        self.server, self.password = server, password
        self.uid = common.authenticate(server.db, login, password, {})
        assert self.uid, f"{login} cannot log in"
        self.models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object", allow_none=True)

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.server.db, self.uid, self.password, model, method, list(args), kwargs
        )


# confirmations and release jobs of one transfer at once: a conflict, logged, run again
@pytest.mark.server_log_allows(SERIALIZATION_FAILURE, QUANT_SERIALIZATION)
def test_fifty_deliveries_short_picked_backordered_and_stock_equal(odoo_server, tpl):
    server = odoo_server
    sim_url, warehouse_id = tpl
    [warehouse] = server.call(
        "stock.warehouse", "read", [warehouse_id], ["lot_stock_id", "out_type_id", "in_type_id"]
    )
    stock_id, out_type_id = warehouse["lot_stock_id"][0], warehouse["out_type_id"][0]
    in_type_id = warehouse["in_type_id"][0]
    customers = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)[0]
    group = server.call("ir.model.data", "check_object_reference", "stock", "group_stock_user")[1]
    server.call(
        "res.users",
        "create",
        {
            "name": "Live stock user",
            "login": "live_3pl_user",
            "password": "live-3pl-pw",
            "groups_id": [(6, 0, [group])],
        },
    )
    user = As(server, "live_3pl_user", "live-3pl-pw")
    partner_id = server.call(
        "res.partner", "create", {"name": "Live customer", "city": "Lyon", "street": "1 rue Live"}
    )
    product_id = server.call(
        "product.product",
        "create",
        {"name": "Live widget", "default_code": "LIVE-W", "is_storable": True},
    )
    # the stock arrives by a receipt the 3PL confirms (maybe short: backorders follow)
    suppliers = server.call("stock.location", "search", [("usage", "=", "supplier")], limit=1)[0]
    receipt_id = user.call(
        "stock.picking",
        "create",
        {
            "picking_type_id": in_type_id,
            "partner_id": partner_id,
            "location_id": suppliers,
            "location_dest_id": stock_id,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "name": "Live widget",
                        "product_id": product_id,
                        "product_uom_qty": STOCK,
                        "location_id": suppliers,
                        "location_dest_id": stock_id,
                    },
                )
            ],
        },
    )
    user.call("stock.picking", "action_confirm", [receipt_id])
    picking_ids = []
    for _index in range(ORDERS):
        picking_id = user.call(
            "stock.picking",
            "create",
            {
                "picking_type_id": out_type_id,
                "partner_id": partner_id,
                "location_id": stock_id,
                "location_dest_id": customers,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Live widget",
                            "product_id": product_id,
                            "product_uom_qty": QTY,
                            "location_id": stock_id,
                            "location_dest_id": customers,
                        },
                    )
                ],
            },
        )
        user.call("stock.picking", "action_confirm", [picking_id])
        picking_ids.append(picking_id)
    ours = [("picking_type_id", "in", [out_type_id, in_type_id])]

    def all_shipped():
        return not server.call(
            "stock.picking", "search_count", [*ours, ("state", "not in", ("done", "cancel"))]
        )

    server.wait_until(
        all_shipped, timeout=240, interval=2, message="every delivery and backorder shipped"
    )
    pickings = server.call("stock.picking", "search_read", ours, ["state", "backorder_id"])
    backorders = [p for p in pickings if p["backorder_id"]]
    assert {p["state"] for p in pickings} == {"done"}
    moves = server.call(
        "stock.move",
        "search_read",
        [("picking_id.picking_type_id", "=", out_type_id)],
        ["quantity", "state"],
    )
    assert sum(m["quantity"] for m in moves if m["state"] == "done") == ORDERS * QTY
    received = server.call(
        "stock.move",
        "search_read",
        [("picking_id.picking_type_id", "=", in_type_id), ("state", "=", "done")],
        ["quantity"],
    )
    assert sum(m["quantity"] for m in received) == STOCK
    stats = requests.get(f"{sim_url}/_sim/stats", timeout=5).json()
    # every short pick made one backorder, and every backorder was shipped (maybe short again)
    assert stats["short_picks"] == len(backorders)
    assert stats["short_picks"] > 0
    assert stats["confirmations"] == len(pickings)
    assert all(count == 1 for count in stats["writes"].values())
    [sim_stock] = [line["quantity"] for line in stats["stock"] if line["sku"] == "LIVE-W"]
    on_hand = server.call(
        "stock.quant",
        "search_read",
        [("product_id", "=", product_id), ("location_id", "=", stock_id)],
        ["quantity"],
    )
    assert sum(q["quantity"] for q in on_hand) == sim_stock == STOCK - ORDERS * QTY
    events = server.call(
        "logistics.event",
        "search_read",
        [("endpoint_id.code", "=", "live-3pl")],
        ["state", "last_error"],
    )
    assert {e["state"] for e in events} <= {"applied", "superseded"}, [
        e["last_error"] for e in events if e["state"] not in ("applied", "superseded")
    ]
    assert len([e for e in events if e["state"] == "applied"]) == len(pickings)
    sync_jobs = [
        ("method_name", "=", "_job_tpl_sync"),
        ("channel", "=", "root.logistics_sync.live-3pl"),
    ]

    def jobs_settled():
        return not server.call(
            "queue.job", "search_count", [*sync_jobs, ("state", "not in", ("done", "failed"))]
        )

    server.wait_until(jobs_settled, timeout=90, interval=1, message="every document job ended")
    jobs = server.call("queue.job", "search_read", sync_jobs, ["state"])
    assert {job["state"] for job in jobs} == {"done"}
