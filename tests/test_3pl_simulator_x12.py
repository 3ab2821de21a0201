# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator speaking X12 over SFTP, without Odoo: a real process logging in
to a real SFTP server (the shipped paramiko server, in this process) with its key,
the server's host key pinned.  The 940s are written as Odoo writes them (the EDI
addon's map and engine), the 997s and 945s it answers are read as Odoo reads them
(``maps_tpl.confirmation_from_945``).  No test asserts a time."""

import base64
import importlib.util
import io
import time
from datetime import datetime
from pathlib import Path

import paramiko
import pytest
import requests
from sftp_server import SftpTestServer
from standalone import addon_module

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "logistics_sync_3pl" / "simulator" / "tpl_simulator.py"
SECRET = "whsec_" + base64.b64encode(b"3pl-simulator-x12-test-secret-32").decode()
x12 = addon_module("logistics_sync_edi.lib.x12")
x12ack = addon_module("logistics_sync_edi.lib.x12ack")
x12map = addon_module("logistics_sync_edi.lib.x12map")
maps_tpl = addon_module("logistics_sync_edi.lib.maps_tpl")
MAPS = ROOT / "logistics_sync_edi" / "maps"
MAP940 = x12map.load_map(MAPS / "940_004010.json")
MAP945 = x12map.load_map(MAPS / "945_004010.json")


def _entry_point():
    spec = importlib.util.spec_from_file_location("lsync_tpl_simulator_x12", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def order_940(doc_id, lines, control, version=1, operation="send"):
    """A 940 interchange from ACMEMFG to LYON3PL, as Odoo's 3PL release writes it."""
    doc = {
        "document_id": doc_id,
        "version": version,
        "warehouse": "X3PL",
        "party": {"name": "Ada Client", "city": "Lyon", "zip": "69001", "country": "FR"},
        "lines": [
            {"line_id": line_id, "sku": sku, "quantity": qty, "unit": "Units", "product": sku}
            for line_id, sku, qty in lines
        ],
    }
    values = maps_tpl.shipping_order_values(doc, operation)
    out = x12.OutSet("940", "0001", x12map.render_set(MAP940, values))
    return x12.build_interchange(
        sender_qualifier="ZZ",
        sender_id="ACMEMFG",
        receiver_qualifier="ZZ",
        receiver_id="LYON3PL",
        control=control,
        groups=[x12.OutGroup("OW", "ACMEMFG", "LYON3PL", str(control), sets=[out])],
        usage="T",
        when=datetime(2026, 12, 7, 9, 30),
    ).encode()


@pytest.fixture
def world(tmp_path):
    root = tmp_path / "sftp"
    (root / "to-3pl").mkdir(parents=True)
    (root / "from-3pl").mkdir()
    key = paramiko.ECDSAKey.generate()
    key_file = tmp_path / "3pl.key"
    pem = io.StringIO()
    key.write_private_key(pem)
    key_file.write_text(pem.getvalue())
    with SftpTestServer(root, username="acme", lifetime=120) as server:
        server.add_user("lyon3pl", keys=[key])
        process, url = _entry_point().spawn(
            [
                "--token",
                "unused",
                "--webhook-secret",
                SECRET,
                "--auto-confirm",
                "--webhook-interval",
                "0.05",
                "--short-pick-rate",
                "1",
                "--lot-sku",
                "PAINT",
                "--seed",
                "3",
                "--max-lifetime",
                "120",
                "--x12-sftp-port",
                server.port,
                "--x12-sftp-user",
                "lyon3pl",
                "--x12-sftp-key-file",
                key_file,
                "--x12-sftp-host-key",
                server.host_key_fingerprint,
                "--x12-poll-interval",
                "0",
            ],
            log_path=tmp_path / "sim.log",
        )
        try:
            yield server, root, url
        finally:
            process.terminate()
            process.wait(timeout=10)


def poll(url):
    response = requests.post(f"{url}/_sim/x12/poll", timeout=30)
    response.raise_for_status()
    return response.json()


def x12_stats(url):
    return requests.get(f"{url}/_sim/stats", timeout=10).json()["x12"]


def wait_for(predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def answers(root, prefix):
    return sorted(p for p in (root / "from-3pl").iterdir() if p.name.startswith(prefix))


def read_945(path):
    (interchange,) = x12.parse(path.read_bytes())
    (transaction_set,) = interchange.sets
    values, errors = x12map.read_set(transaction_set, MAP945)
    assert not errors, [str(e) for e in errors]
    return interchange, maps_tpl.confirmation_from_945(values, "ev")


def test_940s_answered_with_997s_and_945s_short_pick_and_lot(world):
    server, root, url = world
    full = order_940("X3PL/OUT/00001", [(11, "WIDGET", 1), (12, "PAINT", 1)], 101)
    short = order_940("X3PL/OUT/00002", [(21, "WIDGET", 5)], 102)
    (root / "to-3pl" / "ACME_940_000000101.x12").write_bytes(full)
    (root / "to-3pl" / "ACME_940_000000102.x12").write_bytes(short)
    summary = poll(url)
    assert summary["error"] is None and len(summary["read"]) == 2, summary
    wait_for(lambda: len(answers(root, "945_")) == 2, "the two 945s")
    # read files moved aside, nothing left in the inbox
    assert sorted(p.name for p in (root / "to-3pl" / "processed").iterdir()) == [
        "ACME_940_000000101.x12",
        "ACME_940_000000102.x12",
    ]
    # one 997 per group received, accepting its 940
    acks = answers(root, "997_")
    assert len(acks) == 2
    for path in acks:
        (interchange,) = x12.parse(path.read_bytes())
        assert (interchange.sender_id, interchange.receiver_id, interchange.usage) == (
            "LYON3PL",
            "ACMEMFG",
            "T",
        )
        (group,) = x12ack.read_997(interchange.sets[0])
        assert group["group_control"] in ("101", "102") and group["status"] == "accepted"
    events = {}
    for path in answers(root, "945_"):
        interchange, event = read_945(path)
        assert interchange.groups[0].functional_id == "SW"
        events[event["shipment_ref"]] = event
    first = events["X3PL/OUT/00001"]
    assert {
        (row["sku"], row["quantity"], row.get("lot") is not None) for row in first["lines"]
    } == {
        ("WIDGET", 1.0, False),
        ("PAINT", 1.0, True),
    }
    assert {row["line_id"] for row in first["lines"]} == {11, 12}
    assert first["document_version"] == 1 and first["packages"][0]["sscc"]
    second = events["X3PL/OUT/00002"]
    [row] = second["lines"]
    assert (
        row["line_id"] == 21 and 1 <= row["quantity"] < 5
    )  # short-picked (rate 1; 1 unit never is)
    assert second["cancel_remaining"] is False  # W06 P: the rest stays as a backorder
    stats = x12_stats(url)
    assert (stats["orders"], stats["acks_sent"], stats["advices_sent"]) == (2, 2, 2)
    assert stats["pending"] == [] and stats["upload_failures"] == 0


def test_a_cut_upload_is_sent_again_once_and_a_file_read_twice_is_not_applied_twice(world):
    server, root, url = world
    data = order_940("X3PL/OUT/00003", [(31, "WIDGET", 2)], 103)
    (root / "to-3pl" / "A.x12").write_bytes(data)
    server.cut_next_write()
    summary = poll(url)
    assert summary["error"] and "connection lost" in summary["error"], summary
    assert server.faults_left()[0] == {"write": 0}  # the cut happened
    # the pick's own poll sends the 997 and the 945 (same temporary name: none left)
    wait_for(lambda: len(answers(root, "945_")) == 1, "the 945")
    names = sorted(p.name for p in (root / "from-3pl").iterdir())
    assert [n[:4] for n in names] == ["945_", "997_"], names
    # the same interchange again under another name: not picked twice
    (root / "to-3pl" / "B.x12").write_bytes(data)
    assert poll(url)["read"] == ["B.x12"]
    stats = x12_stats(url)
    assert (stats["orders"], stats["duplicates"], stats["advices_sent"]) == (1, 1, 1)
    assert stats["upload_failures"] == 1 and stats["uploads"] == 2
    assert len(list((root / "from-3pl").iterdir())) == 2


def test_a_cancel_and_a_file_that_is_not_x12(world):
    server, root, url = world
    requests.post(f"{url}/_sim/config", json={"auto_confirm": False}, timeout=10)
    (root / "to-3pl" / "order.x12").write_bytes(
        order_940("X3PL/OUT/00004", [(41, "WIDGET", 2)], 104)
    )
    (root / "to-3pl" / "noise.txt").write_bytes(b"hello, not X12")
    poll(url)
    (root / "to-3pl" / "cancel.x12").write_bytes(
        order_940("X3PL/OUT/00004", [(41, "WIDGET", 2)], 105, version=2, operation="cancel")
    )
    poll(url)
    stats = x12_stats(url)
    assert (stats["orders"], stats["cancels"], stats["refused"]) == (1, 1, 1), stats
    assert not answers(root, "945_")
    assert len(answers(root, "997_")) == 2
    sim = requests.get(f"{url}/_sim/stats", timeout=10).json()
    assert sim["documents_by_status"] == {"cancelled": 1}
