# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS release as X12 (logistics_sync_edi/lib/maps_tms.py), no Odoo: a 204
written from a release request and read back; a 990 file with two sets (accept,
decline) read into the TMS addon's tms_update events."""

import json
from pathlib import Path

import pytest
from standalone import addon_module, docs_script

x12 = addon_module("logistics_sync_edi.lib.x12")
x12map = addon_module("logistics_sync_edi.lib.x12map")
maps_tms = addon_module("logistics_sync_edi.lib.maps_tms")
EXAMPLES = docs_script("edi_examples")
EDI = Path(__file__).resolve().parent.parent / "logistics_sync_edi"
MAP_204 = x12map.load_map(EDI / "maps" / "204_004010.json")
MAP_990 = x12map.load_map(EDI / "maps" / "990_004010.json")
SAMPLE_990 = (EDI / "tests" / "data" / "990_004010_accept_decline.x12").read_text()
UPDATE_SCHEMA = EDI.parent / "logistics_sync_tms" / "static" / "schemas" / "tms_update_v1.json"

# the release of the examples (docs/edi_examples.py): version 2, shipper in Lyon,
# consignee in California
REQUEST = EXAMPLES.RELEASE


def _interchange(values, mapping, set_id):
    body = x12map.render_set(mapping, values)
    group = x12.OutGroup(
        mapping["functional_id"], "ACMEMFG", "ODFL", 7, sets=[x12.OutSet(set_id, "0001", body)]
    )
    return x12.build_interchange(
        sender_qualifier="ZZ",
        sender_id="ACMEMFG",
        receiver_qualifier="02",
        receiver_id="ODFL",
        control=7,
        groups=[group],
    )


def test_204_change_reads_back_with_windows_and_stops():
    text = _interchange(maps_tms.tender_values(REQUEST, scac="ODFL"), MAP_204, "204")
    assert "B2**ODFL**WH/OUT/00042**PP~" in text and "B2A*04*LT~" in text
    assert "G62*37*20261208*I*0800*UT~" in text and "G62*54*20261210*K*1700*UT~" in text
    (interchange,) = x12.parse(text)
    values, errors = x12map.read_set(interchange.sets[0], MAP_204)
    assert interchange.all_errors == [] and errors == []
    assert [s["S5"]["reason"] for s in values["S5"]] == ["CL", "CU"]
    assert values["S5"][0]["N1"][0]["N1"]["name"] == "Acme Manufacturing"
    assert values["S5"][0]["OID"][0]["OID"]["ref"] == "FURN_8888"


def test_204_dangerous_goods_travel_with_their_line():
    paint = {
        "sku": "PAINT",
        "product": "Paint, flammable",
        "quantity": 2,
        "unit": "Units",
        "weight_kg": 20,
        "dangerous_goods": True,
        "un_number": "1263",
        "hazard_class": "3",
        "packing_group": "II",
    }
    request = dict(REQUEST, lines=[*REQUEST["lines"], paint])
    text = _interchange(maps_tms.tender_values(request), MAP_204, "204")
    # the lamp has no UN number: no L5; the paint has its L5 loop after its OID
    assert "OID*FURN_8888*S00042**EA*5*K*12.5~\nOID*PAINT*" in text
    assert (
        "OID*PAINT*S00042**EA*2*K*20~\nL5*2*Paint, flammable~\n"
        "LH1*EA*2*UN1263*******II~\nLH2*3~\n"
    ) in text
    (interchange,) = x12.parse(text)
    assert interchange.all_errors == []
    values, errors = x12map.read_set(interchange.sets[0], MAP_204)
    assert errors == []
    (hazmat,) = values["S5"][0]["OID"][1]["L5"][0]["LH1"]
    assert (hazmat["LH1"]["un_number"], hazmat["LH2"][0]["hazard_class"]) == ("UN1263", "3")


def test_204_carries_the_state_of_a_us_address_only_two_letters():
    text = _interchange(maps_tms.tender_values(REQUEST), MAP_204, "204")
    assert "N4*Pleasant Hill*CA*94523*US~" in text
    consignee = dict(REQUEST["consignee"], state="NSW", country="AU")
    text = _interchange(maps_tms.tender_values(dict(REQUEST, consignee=consignee)), MAP_204, "204")
    assert "N4*Pleasant Hill**94523*AU~" in text


def test_204_purposes():
    assert maps_tms.tender_values(dict(REQUEST, version=1))["B2A"]["purpose"] == "00"
    assert maps_tms.tender_values(REQUEST, "cancel")["B2A"]["purpose"] == "01"


def test_990_accept_and_decline_to_tms_updates():
    (interchange,) = x12.parse(SAMPLE_990)
    assert interchange.all_errors == [] and len(interchange.sets) == 2
    events = []
    for ts in interchange.sets:
        values, errors = x12map.read_set(ts, MAP_990)
        assert errors == []
        events.append(maps_tms.update_from_990(values, f"x12:ODFL:518:{ts.control}", 1))
    assert events[0] == {
        "event_id": "x12:ODFL:518:5180001",
        "type": "tms_update",
        "shipment_ref": "WH/OUT/00042",
        "occurred_at": "2026-12-07T10:10:00Z",
        "status": "accepted",
        "version": 1,
        "tms_ref": "WH/OUT/00042",
        "load_ref": "07731234567",
        "carrier": "ODFL",
    }
    assert (events[1]["status"], events[1]["version"], events[1]["reason"]) == (
        "rejected",
        2,
        "NO EQUIPMENT AVAILABLE LANE CLOSED",
    )
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(UPDATE_SCHEMA.read_text())
    for event in events:
        jsonschema.validate(event, schema)


def test_990_bad_action_code_is_a_map_error():
    (interchange,) = x12.parse(SAMPLE_990.replace("*20261207*A~", "*20261207*X~"))
    _values, errors = x12map.read_set(interchange.sets[0], MAP_990)
    assert [(e.segment_id, e.element, e.code, e.position) for e in errors] == [
        ("B1", None, "8", 4),
        ("B1", 4, "7", 4),
    ]


def test_two_loops_in_a_row_are_two_iterations():
    """A loop's first segment starts each iteration: two N1 loops holding only their
    N1 (N1*SH~N1*CN~, as carriers send in 214s) are two parties, not one N1 used
    twice; two 204 lines are two OID loops (the guide-shaped 204 has them)."""
    text = (
        "ISA*00*          *00*          *ZZ*ODFL           *ZZ*ACMEMFG        "
        "*261208*1100*U*00401*000000519*0*P*>~\n"
        "GS*QM*ODFL*ACMEMFG*20261208*1100*519*X*004010~\n"
        "ST*214*0001~\nB10*07731234567*WH/OUT/00042*ODFL~\n"
        "N1*SH*Acme Manufacturing~\nN1*CN*Deco Addict~\n"
        "LX*1~\nAT7*AF*NS***20261208*1045*UT~\nSE*7*0001~\n"
        "GE*1*519~\nIEA*1*000000519~\n"
    )
    (interchange,) = x12.parse(text)
    assert interchange.all_errors == []
    values, errors = x12map.read_set(
        interchange.sets[0], x12map.load_map(EDI / "maps" / "214_004010.json")
    )
    assert [str(e) for e in errors] == []
    assert [party["N1"]["entity"] for party in values["N1"]] == ["SH", "CN"]
