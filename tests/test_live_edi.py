# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""EDI X12 end to end through a live Odoo and its queue_job runner: a carrier drops a
214 (two sets, three statuses) in the partner's inbox folder; the pick-up cron queues
the receive job, which reads it, feeds the statuses to the event pipeline (applied to
the transfers by the pipeline's own jobs) and uploads the 997 to the outbox folder.
The same interchange dropped again under another name is refused as a duplicate
(a TA1 is uploaded), and no event is stored twice."""

import os
import uuid

import pytest
from live_jobs import (
    create_endpoint,
    outgoing_transfer,
    prepare_server,
    run_cron,
    settle,
    unique_code,
    watching,
)
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
