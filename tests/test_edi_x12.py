# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The X12 engine of logistics_sync_edi (lib/x12.py, x12map.py, x12ack.py), no Odoo:
separators from the ISA, several interchanges/groups/sets, envelope checks with
positions, maps as data, the writer and the 997 both ways."""

from datetime import datetime
from pathlib import Path

import pytest
from standalone import addon_module

x12 = addon_module("logistics_sync_edi.lib.x12")
x12map = addon_module("logistics_sync_edi.lib.x12map")
x12ack = addon_module("logistics_sync_edi.lib.x12ack")

ADDON = Path(__file__).resolve().parent.parent / "logistics_sync_edi"
DATA = ADDON / "tests" / "data"
MAP_214 = x12map.load_map(ADDON / "maps" / "214_004010.json")


def read(name):
    return (DATA / name).read_bytes()


def test_two_sets_read_with_positions():
    (interchange,) = x12.parse(read("214_two_sets.edi"))
    assert interchange.separators == x12.Separators("*", ">", "~", "^")
    assert (interchange.sender_qualifier, interchange.sender_id) == ("02", "RDWY")
    assert (interchange.control, interchange.usage, interchange.version) == (
        "000000101",
        "T",
        "00401",
    )
    (group,) = interchange.groups
    assert (group.functional_id, group.control, group.version) == ("QM", "101", "004010")
    assert [(s.set_id, s.control, s.position) for s in group.sets] == [
        ("214", "0001", 3),
        ("214", "0002", 22),
    ]
    assert interchange.all_errors == []
    values, errors = x12map.read_set(group.sets[0], MAP_214)
    assert errors == []
    assert values["B10"]["shipment_ref"] == "EDI/OUT/00001"
    assert values["B10"]["_position"] == 4
    statuses = [(lx["AT7"][0]["AT7"]["status"], lx["AT7"][0]["MS1"]["city"]) for lx in values["LX"]]
    assert statuses == [("X3", "COLUMBUS"), ("AF", "COLUMBUS")]
    assert [n1["N1"]["entity"] for n1 in values["N1"]] == ["SH", "CN"]


def test_other_separators_and_two_interchanges_in_one_file():
    interchanges = x12.parse(read("214_two_interchanges_pipe.edi"))
    assert [i.control for i in interchanges] == ["000004001", "000004002"]
    assert interchanges[0].separators == x12.Separators("|", ":", "!", "^")
    assert all(not i.all_errors for i in interchanges)
    values, errors = x12map.read_set(interchanges[1].sets[0], MAP_214)
    assert not errors and values["LX"][0]["AT7"][0]["AT7"]["status"] == "X1"


def test_repetition_separator_from_00402():
    text = x12.build_interchange(
        sender_qualifier="ZZ",
        sender_id="A",
        receiver_qualifier="ZZ",
        receiver_id="B",
        control=7,
        version="00501",
        groups=[
            x12.OutGroup("QM", "A", "B", 7, "005010", [x12.OutSet("214", "0001", [["LX", "1"]])])
        ],
        separators=x12.Separators("*", ":", "~", "{"),
    )
    (interchange,) = x12.parse(text)
    assert interchange.separators.repetition == "{"


@pytest.mark.parametrize(
    "data, position, segment, message",
    [
        (b"order,sku,qty\n", 1, None, "not an X12 file"),
        (b"ISA*00*   ", 1, "ISA", "truncated"),
        (None, 6, "AT7", "truncated"),
    ],
)
def test_unreadable_files(data, position, segment, message):
    data = data if data is not None else read("214_truncated.edi")
    with pytest.raises(x12.X12Error) as caught:
        x12.parse(data)
    assert caught.value.position == position
    assert caught.value.segment_id == segment
    assert message in str(caught.value)


def test_wrong_counts_and_control_numbers():
    (interchange,) = x12.parse(read("214_bad_counts.edi"))
    first, second = interchange.groups[0].sets
    assert [(e.code, e.position, e.segment_id, e.element) for e in first.errors] == [
        (x12.AK5_SEGMENT_COUNT, 7, "SE", 1)
    ]
    assert {e.code for e in second.errors} == {x12.AK5_CONTROL_MISMATCH}
    assert [(e.code, e.segment_id, e.element) for e in interchange.groups[0].errors] == [
        (x12.AK9_SET_COUNT, "GE", 1)
    ]
    (iea,) = x12.parse(read("214_bad_iea.edi"))
    assert sorted((e.code, e.element) for e in iea.errors) == [
        (x12.TA1_CONTROL_MISMATCH, 2),
        (x12.TA1_GROUP_COUNT, 1),
    ]
    assert "IEA01" in str(iea.errors[1]) and "segment 9 (IEA), element 01" in str(iea.errors[1])


def test_unknown_qualifier():
    (interchange,) = x12.parse(read("214_unknown_qualifier.edi"))
    (error,) = interchange.errors
    assert (error.code, error.position, error.element) == (x12.TA1_SENDER_QUALIFIER, 1, 5)
    assert "'QQ'" in error.message


def test_segment_and_element_errors_make_a_997_rejection():
    (interchange,) = x12.parse(read("214_segment_errors.edi"))
    group = interchange.groups[0]
    results = [(s, x12map.read_set(s, MAP_214)[1]) for s in group.sets]
    assert results[0][1] == []
    second = results[1][1]
    assert [(e.level, e.segment_id, e.set_position, e.element, e.code) for e in second] == [
        ("segment", "B10", 2, None, "8"),
        ("element", "B10", 2, 3, "1"),
        ("segment", "AT7", 4, None, "8"),
        ("element", "AT7", 4, 5, "8"),
        ("element", "AT7", 4, 6, "9"),
    ]
    third = results[2][1]
    assert [(e.segment_id, e.code) for e in third] == [("B10", "3"), ("B10", "2")]
    body = x12ack.build_997(group, results)
    assert body[0] == ["AK1", "QM", "106"]
    assert ["AK2", "214", "0001"] in body and ["AK5", "A"] in body
    assert ["AK3", "AT7", "4", "", "8"] in body
    assert ["AK4", "5", "", "8", "20261341"] in body
    assert body.count(["AK5", "R", "5"]) == 2
    assert body[-1] == ["AK9", "P", "3", "3", "1"]


def test_writer_round_trip_and_997_read_back():
    when = datetime(2026, 11, 26, 9, 30)
    body = x12map.render_set(
        MAP_214,
        {
            "B10": {"tracking_ref": "PRO1", "shipment_ref": "WH/OUT/00007", "scac": "ODFL"},
            "LX": [
                {
                    "LX": {"number": "1"},
                    "AT7": [
                        {
                            "AT7": {
                                "status": "X6",
                                "reason": "NS",
                                "date": "20261126",
                                "time": "0930",
                            }
                        }
                    ],
                }
            ],
        },
    )
    text = x12.build_interchange(
        sender_qualifier="02",
        sender_id="ODFL",
        receiver_qualifier="ZZ",
        receiver_id="WIDGETS",
        control=42,
        groups=[x12.OutGroup("QM", "ODFL", "WIDGETS", 42, sets=[x12.OutSet("214", "0001", body)])],
        when=when,
    )
    (interchange,) = x12.parse(text)
    assert interchange.control == "000000042" and not interchange.all_errors
    values, errors = x12map.read_set(interchange.sets[0], MAP_214)
    assert not errors and values["B10"]["shipment_ref"] == "WH/OUT/00007"
    ack = x12.build_interchange(
        sender_qualifier="ZZ",
        sender_id="WIDGETS",
        receiver_qualifier="02",
        receiver_id="ODFL",
        control=1,
        groups=[
            x12.OutGroup(
                "FA",
                "WIDGETS",
                "ODFL",
                1,
                sets=[
                    x12.OutSet(
                        "997",
                        "0001",
                        x12ack.build_997(interchange.groups[0], [(interchange.sets[0], [])]),
                    )
                ],
            )
        ],
        when=when,
    )
    (answer,) = x12.parse(ack)
    (group,) = x12ack.read_997(answer.sets[0])
    assert group["group_control"] == "42" and group["status"] == "accepted"
    assert group["sets"] == [
        {"set_id": "214", "control": "0001", "status": "accepted", "errors": []}
    ]


def test_writer_refuses_separators_in_values_and_missing_mandatory():
    with pytest.raises(ValueError, match="separator"):
        x12.build_interchange(
            sender_qualifier="ZZ",
            sender_id="A",
            receiver_qualifier="ZZ",
            receiver_id="B",
            control=1,
            groups=[
                x12.OutGroup(
                    "QM", "A", "B", 1, sets=[x12.OutSet("214", "1", [["N1", "SH", "A*B"]])]
                )
            ],
        )
    with pytest.raises(ValueError, match="B10"):
        x12map.render_set(MAP_214, {"LX": [{"LX": {"number": "1"}}]})
