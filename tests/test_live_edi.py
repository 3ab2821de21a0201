# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""EDI X12 end to end through a live Odoo and its queue_job runner.

- A carrier drops a 214 (two sets, three statuses) in the partner's inbox folder; the
  pick-up cron queues the receive job, which reads it, feeds the statuses to the event
  pipeline (applied to the transfers by the pipeline's own jobs) and uploads the 997 to
  the outbox folder.  The same interchange dropped again under another name is refused
  as a duplicate (a TA1 is uploaded), and no event is stored twice.
- A 3PL speaking X12 over SFTP (the 3PL simulator, a process of its own, logged in to
  a real SFTP server with its key): the deliveries an Inventory / User confirms go out
  as 940s, the 3PL answers each with a 997 and a 945 (one full with a lot, one short),
  its first upload cut mid-transfer; Odoo picks them up, validates the deliveries
  (the short one backordered) and acknowledges the 945s with 997s the 3PL reads.
"""

import importlib.util
import io
import os
import uuid
from pathlib import Path

import paramiko
import pytest
import requests
from live_jobs import (
    UserRpc,
    assert_no_idle_in_transaction,
    create_endpoint,
    make_user,
    outgoing_transfer,
    prepare_server,
    run_cron,
    settle,
    unique_code,
    watching,
)
from sftp_server import SftpTestServer
from standalone import addon_module

x12 = addon_module("logistics_sync_edi.lib.x12")
x12ack = addon_module("logistics_sync_edi.lib.x12ack")
PICKUP_CRON = "logistics_sync_base.ir_cron_logistics_file_pickup"
ISA = (
    "ISA*00*          *00*          *02*LIVE           *ZZ*WIDGETS        *261126*{time}*U*"
    "00401*{control}*0*T*>~\n"
)
SET = (
    "ST*214*{st}~\nB10*PRO{st}*{ref}*LIVE~\nLX*1~\nAT7*{first}*NS***20261126*0800*UT~\n"
    "MS1*CHICAGO*IL*USA~\n{more}SE*{count}*{st}~\n"
)


def _interchange(control, refs, time_text="0930"):
    """A 214 interchange: one set per transfer name (AF; the first also X6 in a
    second LX loop)."""
    sets = []
    for index, ref in enumerate(refs, 1):
        more = "LX*2~\nAT7*X6*NS***20261126*1100*UT~\n" if index == 1 else ""
        sets.append(
            SET.format(
                st=f"{index:04d}",
                ref=ref,
                first="AF",
                more=more,
                count=8 if more else 6,
            )
        )
    group = f"GS*QM*LIVE*WIDGETS*20261126*0930*{int(control)}*X*004010~\n"
    return (
        ISA.format(time=time_text, control=control)
        + group
        + "".join(sets)
        + f"GE*{len(sets)}*{int(control)}~\nIEA*1*{control}~\n"
    ).encode()


@pytest.fixture(scope="module")
def server(odoo_server):
    return prepare_server(odoo_server)


@pytest.fixture
def watch(server):
    with watching(server) as watch:
        yield watch


def _drop(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(data)


def test_a_214_in_the_inbox_is_applied_and_answered_with_a_997(server, watch, tmp_path):
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    outbox.mkdir()
    endpoint_id, channel = create_endpoint(
        server,
        watch,
        unique_code("edi"),
        kind="carrier",
        file_transport="folder",
        file_format="x12",
        file_inbound_path=str(inbox),
        file_outbound_path=str(outbox),
        file_min_age_seconds=0,
        edi_isa_qualifier_partner="02",
        edi_isa_id_partner="LIVE",
        edi_isa_qualifier_own="ZZ",
        edi_isa_id_own="WIDGETS",
        edi_usage="T",
        retry_base_seconds=1,
    )
    server.call("logistics.endpoint", "action_edi_load_standard_codes", [endpoint_id])
    partner = server.call("res.partner", "create", {"name": "Live EDI customer"})
    product = server.call(
        "product.product", "create", {"name": "Live EDI crate", "is_storable": True}
    )
    pickings = [outgoing_transfer(server, partner, product) for _ in range(2)]
    refs = [row["name"] for row in server.call("stock.picking", "read", pickings, ["name"])]
    control = f"{uuid.uuid4().int % 10**9:09d}"
    data = _interchange(control, refs)
    _drop(inbox, "status.edi", data)
    run_cron(server, PICKUP_CRON)

    def applied():
        rows = server.call("stock.picking", "read", pickings, ["logistics_milestone"])
        answered = os.listdir(outbox)
        if [row["logistics_milestone"] for row in rows] == ["in_transit", "picked_up"] and answered:
            return answered
        return None

    answered = settle(watch, applied, "the 214 applied and the 997 uploaded")
    [exchange] = server.call(
        "logistics.edi.exchange",
        "search_read",
        [("endpoint_id", "=", endpoint_id), ("direction", "=", "in")],
        ["state", "interchange_control", "set_count", "ack_status"],
    )
    assert (exchange["state"], exchange["interchange_control"], exchange["set_count"]) == (
        "processed",
        control,
        2,
    )
    assert exchange["ack_status"] == "sent"
    (ack,) = x12.parse((outbox / answered[0]).read_bytes())
    assert (ack.sender_id, ack.receiver_id) == ("WIDGETS", "LIVE")
    (group,) = x12ack.read_997(ack.sets[0])
    assert (group["group_control"], group["status"]) == (str(int(control)), "accepted")
    assert [s["status"] for s in group["sets"]] == ["accepted", "accepted"]
    events = server.call(
        "logistics.event",
        "search_read",
        [("endpoint_id", "=", endpoint_id)],
        ["external_id", "state", "milestone"],
    )
    assert sorted(e["milestone"] for e in events) == ["in_transit", "picked_up", "picked_up"]
    assert {e["state"] for e in events} <= {"applied", "superseded"}, events
    # moved to processed/ (under a name the file channel makes unique)
    [moved] = os.listdir(inbox / "processed")
    assert moved.endswith("status.edi") and not (inbox / "status.edi").exists()

    # the same interchange re-sent (another time in its ISA, another file name)
    _drop(inbox, "status-again.edi", _interchange(control, refs, time_text="0945"))
    run_cron(server, PICKUP_CRON)

    def refused():
        rows = server.call(
            "logistics.edi.exchange",
            "search_read",
            [("endpoint_id", "=", endpoint_id), ("file_name", "=", "status-again.edi")],
            ["state", "duplicate_of_id"],
        )
        return rows if rows and len(os.listdir(outbox)) == 2 else None

    [duplicate] = settle(watch, refused, "the duplicate refused and its TA1 uploaded")
    assert duplicate["state"] == "error" and duplicate["duplicate_of_id"]
    assert server.call("logistics.event", "search_count", [("endpoint_id", "=", endpoint_id)]) == 3
    ta1 = next(name for name in os.listdir(outbox) if name not in answered)
    assert b"*R*025~" in (outbox / ta1).read_bytes()


# ------------------------------------------------------------ a 3PL over SFTP
SIMULATOR = Path(__file__).resolve().parent.parent / "logistics_sync_3pl/simulator/tpl_simulator.py"
SIM_SECRET = "whsec_" + "bGl2ZS0zcGwteDEyLXNpbXVsYXRvci1zZWNyZXQtMzI="  # unused: no webhooks


def _tpl_simulator(sftp, key_file, log_path):
    spec = importlib.util.spec_from_file_location("lsync_tpl_simulator_edi", SIMULATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.spawn(
        [
            "--token",
            "unused",
            "--webhook-secret",
            SIM_SECRET,
            "--auto-confirm",
            "--webhook-interval",
            "0.2",
            "--short-pick-rate",
            "1",  # every line of 2 units or more is short (a line of 1 never is)
            "--seed",
            "7",
            "--max-lifetime",
            "300",
            "--x12-sftp-port",
            sftp.port,
            "--x12-sftp-user",
            "lyon3pl",
            "--x12-sftp-key-file",
            key_file,
            "--x12-sftp-host-key",
            sftp.host_key_fingerprint,
            "--x12-poll-interval",
            "0",  # the test says when (POST /_sim/x12/poll), and each pick
        ],
        log_path=log_path,
    )


def _x12_files(folder, kind):
    return sorted(p.name for p in folder.iterdir() if p.is_file() and f"_{kind}_" in p.name)


def _sim(url, path="/_sim/stats", body=None):
    if body is None and path == "/_sim/stats":
        return requests.get(f"{url}{path}", timeout=10).json()
    response = requests.post(f"{url}{path}", json=body or {}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_a_3pl_speaking_x12_over_sftp_ships_and_backorders(server, watch, tmp_path):
    root = tmp_path / "sftp"
    to_3pl, from_3pl = root / "to-3pl", root / "from-3pl"
    to_3pl.mkdir(parents=True)
    from_3pl.mkdir()
    key = paramiko.ECDSAKey.generate()
    key_file = tmp_path / "lyon3pl.key"
    pem = io.StringIO()
    key.write_private_key(pem)
    key_file.write_text(pem.getvalue())
    tag = uuid.uuid4().hex[:4].upper()
    with SftpTestServer(root, username="acme", lifetime=240) as sftp:
        sftp.add_user("lyon3pl", keys=[key])
        endpoint_id, channel = create_endpoint(
            server,
            watch,
            unique_code("edi3pl"),
            kind="wms",
            file_transport="sftp",
            file_format="x12",
            file_inbound_path="from-3pl",
            file_outbound_path="to-3pl",
            file_min_age_seconds=0,
            sftp_host="127.0.0.1",
            sftp_port=sftp.port,
            sftp_username="acme",
            sftp_password=sftp.password,
            sftp_host_key=sftp.host_key_line,
            edi_isa_qualifier_partner="ZZ",
            edi_isa_id_partner="LYON3PL",
            edi_isa_qualifier_own="ZZ",
            edi_isa_id_own="ACMEMFG",
            edi_gs_code_own="ACMEMFG",
            edi_gs_code_partner="LYON3PL",
            edi_usage="T",
            retry_base_seconds=1,
        )
        server.call("logistics.endpoint", "action_edi_load_standard_codes", [endpoint_id])
        warehouse_id = server.call(
            "stock.warehouse",
            "create",
            {"name": f"EDI 3PL {tag}", "code": f"E{tag}", "tpl_endpoint_id": endpoint_id},
        )
        [warehouse] = server.call(
            "stock.warehouse", "read", [warehouse_id], ["lot_stock_id", "out_type_id"]
        )
        widget = server.call(
            "product.product",
            "create",
            {"name": "EDI widget", "default_code": f"EW-{tag}", "is_storable": True},
        )
        paint = server.call(
            "product.product",
            "create",
            {
                "name": "EDI paint",
                "default_code": f"EP-{tag}",
                "is_storable": True,
                "tracking": "lot",
            },
        )
        server.call("stock.lot", "create", {"name": f"LOT-{tag}", "product_id": paint})
        process, sim_url = _tpl_simulator(sftp, key_file, tmp_path / "3pl-sim.log")
        try:
            # the 3PL holds the lot Odoo knows (its stock says the product is lot-tracked)
            _sim(
                sim_url,
                "/_sim/stock",
                {"lines": [{"sku": f"EP-{tag}", "lot": f"LOT-{tag}", "quantity": 10}]},
            )
            _scenario(
                server, watch, sftp, sim_url, root, warehouse, endpoint_id, widget, paint, tag
            )
        finally:
            process.terminate()
            process.wait(timeout=10)


def _scenario(server, watch, sftp, sim_url, root, warehouse, endpoint_id, widget, paint, tag):
    to_3pl, from_3pl = root / "to-3pl", root / "from-3pl"
    stock, out_type = warehouse["lot_stock_id"][0], warehouse["out_type_id"][0]
    customers = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)[0]
    partner = server.call("res.partner", "create", {"name": "EDI customer", "city": "Lyon"})
    make_user(server, f"edi_stock_{tag.lower()}", "stock.group_stock_user")
    user = UserRpc(server, f"edi_stock_{tag.lower()}")
    pickings = []
    for lines in ([(widget, 1), (paint, 1)], [(widget, 5)]):
        picking = user.call(
            "stock.picking",
            "create",
            {
                "picking_type_id": out_type,
                "partner_id": partner,
                "location_id": stock,
                "location_dest_id": customers,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "EDI goods",
                            "product_id": product,
                            "product_uom_qty": qty,
                            "location_id": stock,
                            "location_dest_id": customers,
                        },
                    )
                    for product, qty in lines
                ],
            },
        )
        user.call("stock.picking", "action_confirm", [picking])
        pickings.append(picking)
    full, short = pickings
    # released: one 940 each, uploaded to the 3PL's folder by the file channel's job
    settle(watch, lambda: len(_x12_files(to_3pl, "940")) == 2, "the two 940s uploaded")
    # the 3PL reads them; its first upload (a 997) is cut mid-transfer
    sftp.cut_next_write()
    summary = _sim(sim_url, "/_sim/x12/poll")
    assert len(summary["read"]) == 2 and "connection lost" in (summary["error"] or ""), summary
    # each pick's own poll sends what waits: both 997s and both 945s, once each (the
    # live server's own pick-up cron may take them at once: count where they went too)
    settle(
        watch,
        lambda: _sim(sim_url)["x12"]["uploads"] == 4,
        "the 3PL's 997s and 945s uploaded",
    )
    assert sftp.faults_left()[0] == {"write": 0}  # the cut happened
    arrived = [p.name for p in from_3pl.rglob("*") if p.is_file()]
    assert sorted(name.split("_")[0][-3:] for name in arrived) == ["945", "945", "997", "997"]
    assert not [name for name in arrived if name.startswith(".")]  # no temporary left
    _sim(sim_url, "/_sim/config", {"auto_confirm": False})  # the backorder's 940: no pick
    run_cron(server, PICKUP_CRON)

    def shipped():
        rows = server.call(
            "stock.picking", "read", pickings, ["state", "backorder_ids", "move_line_ids"]
        )
        acks = server.call(
            "logistics.file",
            "search_count",
            [
                ("endpoint_id", "=", endpoint_id),
                ("direction", "=", "out"),
                ("name", "like", "_997_"),
                ("state", "=", "sent"),
            ],
        )
        return rows if [r["state"] for r in rows] == ["done", "done"] and acks == 2 else None

    rows = settle(watch, shipped, "the deliveries validated and our 997s uploaded")
    # the full one: the widget and the paint of the lot the 3PL shipped, no backorder
    lines = server.call(
        "stock.move.line", "read", rows[0]["move_line_ids"], ["product_id", "quantity", "lot_id"]
    )
    assert sorted(
        (line["product_id"][0], line["quantity"], line["lot_id"] and line["lot_id"][1])
        for line in lines
    ) == sorted([(widget, 1.0, False), (paint, 1.0, f"LOT-{tag}")])
    assert not rows[0]["backorder_ids"]
    # the short one: what was not shipped waits in a backorder (released to the 3PL again)
    [shipped_line] = server.call("stock.move.line", "read", rows[1]["move_line_ids"], ["quantity"])
    [backorder] = rows[1]["backorder_ids"]
    [rest] = server.call(
        "stock.move", "search_read", [("picking_id", "=", backorder)], ["product_uom_qty"]
    )
    assert (
        1 <= shipped_line["quantity"] < 5
        and rest["product_uom_qty"] == 5 - shipped_line["quantity"]
    )
    # exchange records: the 940s acknowledged by the 3PL's 997s, the 945s processed and
    # answered by our 997s; every file received once
    exchanges = server.call(
        "logistics.edi.exchange",
        "search_read",
        [("endpoint_id", "=", endpoint_id)],
        ["direction", "doc_type", "state", "ack_status", "res_model", "res_id"],
        order="id",
    )
    releases = server.call("logistics.tpl.release", "search", [("picking_id", "in", pickings)])
    orders = [e for e in exchanges if e["doc_type"] == "940" and e["res_id"] in releases]
    assert [(e["direction"], e["state"], e["ack_status"]) for e in orders] == [
        ("out", "acknowledged", "accepted")
    ] * 2, orders
    received = [e for e in exchanges if e["direction"] == "in"]
    assert sorted(e["doc_type"] for e in received) == ["945", "945", "997", "997"], received
    advices = [e for e in received if e["doc_type"] == "945"]
    assert [(e["state"], e["ack_status"]) for e in advices] == [("processed", "sent")] * 2
    ours = [e for e in exchanges if e["direction"] == "out" and e["doc_type"] == "997"]
    assert len(ours) == 2, ours  # one per 945, none for the 3PL's 997s
    files = server.call(
        "logistics.file",
        "search_read",
        [("endpoint_id", "=", endpoint_id), ("direction", "=", "in")],
        ["state"],
    )
    assert [f["state"] for f in files] == ["processed"] * 4, files  # each once
    sim = _sim(sim_url)["x12"]
    assert (sim["orders"], sim["acks_sent"], sim["advices_sent"]) == (2, 2, 2), sim
    assert (sim["uploads"], sim["upload_failures"]) == (4, 1), sim  # the cut one sent again
    # the 3PL reads our 997s: both its 945s accepted
    _sim(sim_url, "/_sim/x12/poll")
    acks = _sim(sim_url)["x12"]["acks_received"]
    assert sorted(acks.values()) == ["accepted", "accepted"], acks
    assert_no_idle_in_transaction(watch)
