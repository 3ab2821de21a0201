# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL documents as X12 (logistics_sync_edi/lib/maps_tpl.py and the maps in
logistics_sync_edi/maps/), no Odoo: a 945 shaped after public implementation guides
read into the 3PL addon's shipping confirmation, a 940 written from a shipping
order and read back with the same map."""

import json
from pathlib import Path

import pytest
from standalone import addon_module, docs_script

x12 = addon_module("logistics_sync_edi.lib.x12")
x12map = addon_module("logistics_sync_edi.lib.x12map")
maps_tpl = addon_module("logistics_sync_edi.lib.maps_tpl")
EXAMPLES = docs_script("edi_examples")
EDI = Path(__file__).resolve().parent.parent / "logistics_sync_edi"
MAP_945 = x12map.load_map(EDI / "maps" / "945_004010.json")
MAP_940 = x12map.load_map(EDI / "maps" / "940_004010.json")
SAMPLE_945 = (EDI / "tests" / "data" / "945_004010_short_pick.x12").read_text()


def _read(text, mapping):
    (interchange,) = x12.parse(text)
    (transaction_set,) = interchange.sets
    values, errors = x12map.read_set(transaction_set, mapping)
    return values, errors


def test_945_short_pick_becomes_a_shipping_confirmation():
    values, errors = _read(SAMPLE_945, MAP_945)
    assert errors == []
    event = maps_tpl.confirmation_from_945(values, "x12:LYON3PL:000000731:0001")
    assert event == {
        "event_id": "x12:LYON3PL:000000731:0001",
        "type": "tpl_shipping_confirmation",
        "shipment_ref": "3PLY/OUT/00007",
        "occurred_at": "2026-12-07T16:15:00Z",
        "shipped_at": "2026-12-07T16:15:00Z",
        "cancel_remaining": False,
        "document_version": 1,
        "lines": [
            {"sku": "FURN_8888", "quantity": 3.0, "line_id": 101, "package": "354123450000000014"},
            {
                "sku": "FURN_9999",
                "quantity": 2.0,
                "line_id": 102,
                "lot": "LOT-A",
                "package": "354123450000000021",
            },
        ],
        "packages": [
            {
                "sscc": "354123450000000014",
                "tracking_ref": "1Z999AA10123456784",
                "carrier": "UPS Ground",
            },
            {
                "sscc": "354123450000000021",
                "tracking_ref": "1Z999AA10123456784",
                "carrier": "UPS Ground",
            },
        ],
    }
    schema = json.loads(
        (
            EDI.parent / "logistics_sync_3pl" / "schemas" / "tpl_shipping_confirmation_v1.json"
        ).read_text()
    )
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(event, schema)


def test_945_final_cancels_the_rest():
    values, _errors = _read(SAMPLE_945.replace("W06*P*", "W06*F*"), MAP_945)
    assert maps_tpl.confirmation_from_945(values, "e")["cancel_remaining"] is True


def test_945_wrong_total_is_an_error_at_the_w03():
    values, errors = _read(SAMPLE_945.replace("W03*5*", "W03*6*"), MAP_945)
    assert errors == []
    with pytest.raises(x12.X12Error) as info:
        maps_tpl.confirmation_from_945(values, "e")
    assert (info.value.position, info.value.segment_id, info.value.element) == (20, "W03", 1)
    assert "W03-01 says 6 units shipped, the W12 lines hold 5" in str(info.value)


def test_945_missing_w12_and_bad_code_are_map_errors():
    text = SAMPLE_945.replace("W12*CC*2*2**EA**SK*FURN_9999*LOT-A~\n", "").replace(
        "SE*19*", "SE*18*"
    )
    _values, errors = _read(text, MAP_945)
    assert [(e.segment_id, e.code, e.position) for e in errors] == [("W12", "3", 18)]
    assert "The mandatory segment W12 (Warehouse item detail) is missing" in errors[0].message
    _values, errors = _read(SAMPLE_945.replace("W06*P*", "W06*X*"), MAP_945)
    assert any(e.segment_id == "W06" and e.element == 1 and e.code == "7" for e in errors)


# the examples' shipping order (docs/edi_examples.py), its second line weighed in kg
SHIPPING_ORDER = dict(
    EXAMPLES.SHIPPING_ORDER,
    party={k: v for k, v in EXAMPLES.DECO_ADDICT.items() if k != "state"},
    lines=[
        EXAMPLES.SHIPPING_ORDER["lines"][0],
        dict(EXAMPLES.SHIPPING_ORDER["lines"][1], quantity=2.5, unit="kg"),
    ],
)


def _interchange(values, mapping, set_id):
    body = x12map.render_set(mapping, values)
    group = x12.OutGroup(
        mapping["functional_id"], "ACMEMFG", "LYON3PL", 12, sets=[x12.OutSet(set_id, "0001", body)]
    )
    return x12.build_interchange(
        sender_qualifier="ZZ",
        sender_id="ACMEMFG",
        receiver_qualifier="ZZ",
        receiver_id="LYON3PL",
        control=12,
        groups=[group],
    )


def test_940_written_from_a_shipping_order_reads_back():
    text = _interchange(maps_tpl.shipping_order_values(SHIPPING_ORDER), MAP_940, "940")
    assert "W05*R*3PLY/OUT/00007*S00042~" in text
    assert "W01*5*EA**SK*FURN_8888~" in text and "W01*2.5*KG**SK*FURN_9999~" in text
    assert "G62*10*20261208*Y*0930~" in text and "W76*7.5~" in text
    (interchange,) = x12.parse(text)
    assert interchange.all_errors == []
    values, errors = x12map.read_set(interchange.sets[0], MAP_940)
    assert errors == []
    assert [item["N9"][0]["ref"] for item in values["LX"]] == ["101", "102"]
    assert values["N1"][0]["N1"]["name"] == "Deco Addict"


def test_940_and_856_carry_the_state_of_a_us_address():
    california = {"state": "CA", "street2": "Suite 5"}
    order = dict(SHIPPING_ORDER, party=dict(SHIPPING_ORDER["party"], **california))
    text = _interchange(maps_tpl.shipping_order_values(order), MAP_940, "940")
    assert "N3*77 Santa Barbara Rd*Suite 5~\nN4*Pleasant Hill*CA*94523*US~" in text
    asn = dict(ASN, ship_to=dict(ASN["ship_to"], **california))
    text = _interchange(maps_tpl.asn_values(asn), MAP_856, "856")
    assert "N3*77 Santa Barbara Rd*Suite 5~\nN4*Pleasant Hill*CA*94523*US~" in text
    (interchange,) = x12.parse(text)
    values, errors = x12map.read_set(interchange.sets[0], MAP_856)
    assert errors == []
    assert values["HL"][0]["N1"][0]["N4"]["state"] == "CA"
    # N4-02 is two characters (US states, Canadian provinces): other codes are left out
    order = dict(SHIPPING_ORDER, party=dict(SHIPPING_ORDER["party"], state="NSW"))
    assert maps_tpl.shipping_order_values(order)["N1"][0]["N4"].get("state") is None


def test_940_first_version_and_cancel():
    first = maps_tpl.shipping_order_values(dict(SHIPPING_ORDER, version=1))
    assert first["W05"]["order_status"] == "N"
    cancel = maps_tpl.shipping_order_values(SHIPPING_ORDER, "cancel")
    assert cancel["W05"]["order_status"] == "F"


def test_940_unit_without_code_is_refused():
    doc = dict(SHIPPING_ORDER, lines=[dict(SHIPPING_ORDER["lines"][0], unit="Barrels")])
    with pytest.raises(ValueError, match="the unit 'Barrels' has no X12 unit code"):
        maps_tpl.shipping_order_values(doc)


MAP_856 = x12map.load_map(EDI / "maps" / "856_004010.json")
ASN = dict(EXAMPLES.ASN, ship_to={k: v for k, v in EXAMPLES.DECO_ADDICT.items() if k != "state"})


def test_856_from_the_asn_data_shipment_order_pack_item():
    text = _interchange(maps_tpl.asn_values(ASN), MAP_856, "856")
    (interchange,) = x12.parse(text)
    assert interchange.all_errors == []
    values, errors = x12map.read_set(interchange.sets[0], MAP_856)
    assert errors == []
    levels = [(h["HL"]["id"], h["HL"].get("parent", ""), h["HL"]["level"]) for h in values["HL"]]
    assert levels == [
        ("1", "", "S"),
        ("2", "1", "O"),
        ("3", "2", "P"),
        ("4", "3", "I"),
        ("5", "2", "P"),
        ("6", "5", "I"),
    ]
    packs = [h["MAN"][0]["sscc"] for h in values["HL"] if h["HL"]["level"] == "P"]
    assert packs == ["00354123450000000014", "00354123450000000021"]
    items = [
        (h["LIN"]["sku"], h["LIN"]["lot"], h["SN1"]["quantity"])
        for h in values["HL"]
        if h["HL"]["level"] == "I"
    ]
    assert items == [("FURN_8888", "", "3"), ("FURN_9999", "LOT-A", "2")]
    assert values["HL"][0]["TD1"][0]["weight"] == "16.5"
    assert values["HL"][1]["PRF"]["po_number"] == "PO-7781"
    assert values["CTT"]["line_count"] == "6"
    assert "BSN*00*3PLY/OUT/00007*20261207*1615*0001~" in text


def test_945_ship_to_keeps_its_whole_n4():
    """The N4 of the ship-to: city, state, postal code and country (not the city only)."""
    values, errors = _read(SAMPLE_945, MAP_945)
    assert errors == []
    n4 = values["N1"][0]["N4"]
    assert {k: v for k, v in n4.items() if k != "_position"} == {
        "city": "Pleasant Hill",
        "state": "CA",
        "zip": "94523",
        "country": "US",
    }


def test_945_unknown_w12_status_code_is_an_error_at_its_element():
    _values, errors = _read(SAMPLE_945.replace("W12*CP*5*3*2*", "W12*ZZ*5*3*2*"), MAP_945)
    assert [(e.level, e.segment_id, e.position, e.element, e.code) for e in errors] == [
        ("segment", "W12", 14, None, "8"),
        ("element", "W12", 14, 1, "7"),
    ]
    assert "W1201 (Shipment/order status code" in errors[1].message
    assert "'ZZ' is not one of the codes the standard allows here" in errors[1].message


def test_945_missing_w03_is_reported_where_it_was_expected():
    """A mandatory segment missing at the end of the set: at the SE's position (where
    it was expected), not the ST's."""
    text = SAMPLE_945.replace("W03*5*16.5*KG~\n", "").replace("SE*19*", "SE*18*")
    _values, errors = _read(text, MAP_945)
    assert [(e.segment_id, e.code, e.position, e.set_position) for e in errors] == [
        ("W03", "3", 20, 18)
    ]
