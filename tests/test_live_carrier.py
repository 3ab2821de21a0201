# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier booking end to end: a real Odoo with its queue_job runner, the carrier
simulator failing 30 % of calls, transfers validated through the public API."""

import importlib.util
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR = ROOT / "logistics_sync_carrier" / "simulator" / "carrier_simulator.py"


def _simulator_module():
    spec = importlib.util.spec_from_file_location("lsync_carrier_simulator", SIMULATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def simulator():
    process, url = _simulator_module().spawn(
        [
            "--api-key",
            "live-key",
            "--username",
            "live",
            "--password",
            "live-password",
            "--webhook-secret",
            "unused-here",
            "--webhook-interval",
            "3600",
            "--timeout-sleep",
            "4",
            "--seed",
            "11",
            "--max-lifetime",
            "600",
        ]
    )
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _carrier(server, sim_url):
    server.call("ir.config_parameter", "set_param", "logistics_sync.allow_http_loopback", "True")
    endpoint_id = server.call(
        "logistics.endpoint",
        "create",
        {
            "name": "Live simulator",
            "code": "live-sim",
            "kind": "carrier",
            "base_url": sim_url,
            "auth_type": "api_key",
            "api_key_header": "X-API-Key",
            "auth_api_key": "live-key",
            "http_timeout": 2,
            "retry_base_seconds": 1,
            "circuit_threshold": 50,
            "circuit_cooldown": 2,
            # the test is about booking once under faults, not about giving up:
            # at 30 % faults, an attempt (booking, then label) fails about half the time
            "max_attempts": 10,
            "tracking_mode": "poll",
            "channel_capacity": 2,
        },
    )
    product_id = server.call(
        "product.product", "create", {"name": "Live shipping", "type": "service"}
    )
    carrier_id = server.call(
        "delivery.carrier",
        "create",
        {
            "name": "Live simulated carrier",
            "product_id": product_id,
            "delivery_type": "logistics_sync",
            "integration_level": "rate_and_ship",
            "logistics_endpoint_id": endpoint_id,
        },
    )
    return endpoint_id, carrier_id


def _validated_transfers(server, carrier_id, count):
    [warehouse] = server.call(
        "stock.warehouse", "search_read", [], ["out_type_id", "lot_stock_id"], limit=1
    )
    stock_location = warehouse["lot_stock_id"][0]
    customers = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)[0]
    # a consumable: validating needs no stock on hand
    product_id = server.call(
        "product.product", "create", {"name": "Live crate", "is_storable": False, "weight": 2.5}
    )
    partner_id = server.call(
        "res.partner", "create", {"name": "Live customer", "city": "Lyon", "zip": "69001"}
    )
    ids = []
    for _index in range(count):
        picking_id = server.call(
            "stock.picking",
            "create",
            {
                "picking_type_id": warehouse["out_type_id"][0],
                "partner_id": partner_id,
                "location_id": stock_location,
                "location_dest_id": customers,
                "carrier_id": carrier_id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Live crate",
                            "product_id": product_id,
                            "product_uom_qty": 1,
                            "location_id": stock_location,
                            "location_dest_id": customers,
                        },
                    )
                ],
            },
        )
        server.call("stock.picking", "action_confirm", [picking_id])
        move_ids = server.call("stock.move", "search", [("picking_id", "=", picking_id)])
        server.call("stock.move", "write", move_ids, {"quantity": 1, "picked": True})
        started = time.monotonic()
        assert server.call("stock.picking", "button_validate", [picking_id]) is True
        ids.append((picking_id, time.monotonic() - started))
    return ids


def test_flaky_carrier_books_every_transfer_once_through_the_job_runner(odoo_server, simulator):
    requests.post(
        f"{simulator}/_sim/config", json={"error_rate": 0.3}, timeout=5
    ).raise_for_status()
    _endpoint_id, carrier_id = _carrier(odoo_server, simulator)
    validated = _validated_transfers(odoo_server, carrier_id, 10)
    ids = [picking_id for picking_id, _seconds in validated]
    states = odoo_server.call("stock.picking", "read", ids, ["state", "logistics_booking_state"])
    assert {s["state"] for s in states} == {"done"}
    assert {s["logistics_booking_state"] for s in states} <= {"queued", "waiting_carrier", "booked"}

    def all_booked():
        rows = odoo_server.call("stock.picking", "read", ids, ["logistics_booking_state"])
        return all(row["logistics_booking_state"] == "booked" for row in rows)

    odoo_server.wait_until(all_booked, timeout=240, interval=1, message="every transfer booked")
    rows = odoo_server.call(
        "stock.picking", "read", ids, ["name", "carrier_tracking_ref", "logistics_label_id"]
    )
    stats = requests.get(f"{simulator}/_sim/stats", timeout=5).json()
    assert stats["bookings_by_reference"] == {row["name"]: 1 for row in rows}
    assert sum(stats["faults"].values()) > 0, "the carrier failed along the way"
    assert all(row["carrier_tracking_ref"] and row["logistics_label_id"] for row in rows)
    # Retries went through queue_job (RetryableJobError): the same job ran again,
    # its attempts counted by queue_job and by the transfer (kept across rollbacks).
    jobs = odoo_server.call(
        "queue.job",
        "search_read",
        [("method_name", "=", "_logistics_book_job"), ("model_name", "=", "stock.picking")],
        ["channel", "state", "retry", "max_retries"],
    )
    assert {job["channel"] for job in jobs} == {"root.logistics_sync.live-sim"}
    assert {job["state"] for job in jobs} == {"done"}
    assert {job["max_retries"] for job in jobs} == {10}
    assert len(jobs) == len(ids), "one job per transfer, retried in place"
    assert any(job["retry"] > 1 for job in jobs), "some booking was retried"
    attempts = odoo_server.call("stock.picking", "read", ids, ["logistics_booking_attempts"])
    total = sum(row["logistics_booking_attempts"] for row in attempts)
    assert len(ids) < total <= sum(job["retry"] for job in jobs)
