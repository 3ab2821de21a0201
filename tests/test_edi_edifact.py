# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""EDIFACT through pydifact (logistics_sync_edi/lib/edifact.py), no Odoo:
IFTSTA in (envelope checks with segment positions, status codes to milestones
through a code list), DESADV out (read back through the same envelope checks)."""

from pathlib import Path

import pytest
from standalone import addon_module

edifact = addon_module("logistics_sync_edi.lib.edifact")
DATA = Path(__file__).resolve().parent.parent / "logistics_sync_edi" / "tests" / "data"
IFTSTA = (DATA / "iftsta_d96a_two_consignments.edi").read_bytes()


def test_iftsta_two_messages_to_canonical_events():
    interchange = edifact.read_interchange(IFTSTA)
    assert interchange.sender == "5412345000013"
    assert interchange.control_reference == "IFT000017"
    assert [m.reference for m in interchange.messages] == ["1", "2"]
    events = edifact.read_iftsta(interchange.messages[0], interchange.sender)
    assert [(e["shipment_ref"], e["milestone"], e["occurred_at"]) for e in events] == [
        ("WH/OUT/00042", "picked_up", "2026-12-07T08:15:00Z"),
        ("WH/OUT/00042", "in_transit", "2026-12-07T13:40:00Z"),
        ("WH/OUT/00043", "delivered", "2026-12-07T16:05:00Z"),
    ]
    assert events[0]["tracking_ref"] == "CARR-7781"
    assert "reason" not in events[0]
    assert events[0]["location"] == {"city": "LYON", "country": "FR"}
    assert len({e["event_id"] for e in events}) == 3
    second = edifact.read_iftsta(interchange.messages[1], interchange.sender)
    assert [(e["milestone"], e["source_status"], e["reason"]) for e in second] == [
        ("delivery_failed", "54", "Customs refusal")
    ]


def test_partner_code_list_replaces_the_default():
    message = edifact.read_interchange(IFTSTA).messages[1]
    events = edifact.read_iftsta(message, "X", code_list={"54": "exception"})
    assert events[0]["milestone"] == "exception"
    with pytest.raises(edifact.EdifactError) as info:
        edifact.read_iftsta(message, "X", code_list={"21": "delivered"})
    assert info.value.position == 25 and info.value.tag == "STS"
    assert "status code 54 is not in the partner's status code list" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "position", "tag", "words"),
    [
        ("UNT+19+1'", "UNT+18+1'", 20, "UNT", "UNT01 says 18 segments, message 1 has 19"),
        ("UNT+7+2'", "UNT+7+9'", 27, "UNT", "UNT02 9 does not match UNH01 2"),
        ("UNZ+2+IFT000017'", "UNZ+3+IFT000017'", 28, "UNZ", "UNZ01 says 3 messages"),
        ("UNZ+2+IFT000017'", "UNZ+2+IFT000099'", 28, "UNZ", "UNZ02 IFT000099 does not match"),
        ("UNZ+2+IFT000017'\n", "", 27, "UNT", "no UNZ trailer (file truncated?)"),
        ("UNT+7+2'\n", "", 27, "UNZ", "message 2 is not closed by a UNT"),
        ("DTM+334:202612070900:203'", "DTM+334:20261399:102'", 26, "DTM", "not a date"),
    ],
)
def test_envelope_errors_name_the_segment(old, new, position, tag, words):
    bad = IFTSTA.decode().replace(old, new)
    with pytest.raises(edifact.EdifactError) as info:
        interchange = edifact.read_interchange(bad)
        for message in interchange.messages:
            edifact.read_iftsta(message, "X")
    assert (info.value.position, info.value.tag) == (position, tag)
    assert words in str(info.value)


def test_not_edifact_at_all():
    for data in (b"ISA*00*          *00*", b"", b'{"json": true}'):
        with pytest.raises(edifact.EdifactError, match="not an EDIFACT interchange"):
            edifact.read_interchange(data)


ASN = {
    "asn_id": "WH/OUT/00042",
    "shipped_at": "2026-12-07T08:15:00Z",
    "ship_to": {
        "name": "Deco Addict",
        "street": "77 Santa Barbara Rd",
        "city": "Pleasant Hill",
        "zip": "94523",
        "country": "US",
    },
    "references": {"order": "S00042", "customer_reference": "PO-7781"},
    "carrier": "Schenker",
    "lines": [
        {
            "sku": "FURN_8888",
            "product": "Office Lamp",
            "quantity": 3,
            "unit": "Units",
            "sscc": "354123450000000014",
        },
        {
            "sku": "FURN_9999",
            "product": "Drawer",
            "quantity": 2,
            "unit": "Units",
            "lot": "LOT-A",
            "sscc": "354123450000000021",
        },
    ],
    "packages": [
        {"sscc": "354123450000000014", "weight_kg": 4.5},
        {"sscc": "354123450000000021", "weight_kg": 12},
    ],
}


def test_desadv_out_reads_back_with_counts_and_ssccs():
    data = edifact.write_desadv(ASN, "5412345000013", "4012345000009", "DES000001")
    interchange = edifact.read_interchange(data)  # UNT/UNZ counts and references hold
    (message,) = interchange.messages
    assert message.type == "DESADV" and message.version == "D.96A"
    tags = [s.tag for s in message.segments]
    assert tags[:3] == ["BGM", "DTM", "DTM"]
    gins = [(s.get(0), s.get(1)) for s in message.segments if s.tag == "GIN"]
    assert gins == [("BJ", "354123450000000014"), ("BJ", "354123450000000021"), ("BX", "LOT-A")]
    lins = [s.get(2, 0) for s in message.segments if s.tag == "LIN"]
    assert lins == ["FURN_8888", "FURN_9999"]
    qtys = [s.get(0, 1) for s in message.segments if s.tag == "QTY"]
    assert qtys == ["3", "2"]
    # each package's lines follow its CPS; the CNT counts the lines
    assert tags.index("LIN") > tags.index("GIN")
    assert [s.get(0, 1) for s in message.segments if s.tag == "CNT"] == ["2"]
    assert data.startswith(b"UNA:+.? '")
    assert b"MEA+PD+AAB+KGM:4.5'" in data


def test_desadv_escapes_release_characters():
    asn = dict(ASN, ship_to=dict(ASN["ship_to"], name="O'Brien + Sons: depot?"))
    data = edifact.write_desadv(asn, "A", "B", "1")
    message = edifact.read_interchange(data).messages[0]
    nad = next(s for s in message.segments if s.tag == "NAD" and s.get(0) == "DP")
    assert nad.get(3) == "O'Brien + Sons: depot?"


@pytest.mark.parametrize(
    ("old", "new", "code", "tag", "element"),
    [
        ("UNT+19+1'", "UNT+18+1'", "29", "UNT", "2"),
        ("UNT+7+2'", "UNT+7+9'", "28", "UNT", "3"),
        ("UNZ+2+IFT000017'", "UNZ+3+IFT000017'", "29", "UNZ", "2"),
        ("UNZ+2+IFT000017'\n", "", "13", "UNZ", None),
    ],
)
def test_envelope_errors_carry_their_contrl_codes(old, new, code, tag, element):
    interchange = edifact.parse_interchange(IFTSTA.decode().replace(old, new))
    (error,) = edifact.envelope_errors(interchange)
    assert (error.code, error.service_tag, error.element) == (code, tag, element)


def test_contrl_written_and_read_back():
    """A CONTRL we write for an IFTSTA with one message rejected in its body reads
    back (D:3:UN, UCI copied from the UNB, UCS position in the message, UCD)."""
    bad = IFTSTA.replace(b"STS+1+54", b"STS+1+99")
    interchange = edifact.parse_interchange(bad)
    try:
        edifact.read_iftsta(interchange.messages[1], "X")
    except edifact.EdifactError as exc:
        error = exc
    message = edifact.contrl_message(interchange, "7", message_errors={"2": [error]})
    data = edifact.write_interchange([message], "4012345000009", "5412345000013", "000000042")
    text = data.decode()
    assert "UNH+7+CONTRL:D:3:UN'" in text
    assert "UCI+IFT000017+5412345000013:14+4012345000009:14+7'" in text
    assert "UCM+2+IFTSTA:D:96A:UN:EAN002+4'\nUCS+5'\nUCD+12+3:1'\nUNT+7+7'" in text
    report = edifact.read_contrl(edifact.read_interchange(data).messages[0])
    assert (report["control_reference"], report["status"]) == ("IFT000017", "partial")
    assert [(m["reference"], m["status"]) for m in report["messages"]] == [
        ("1", "accepted"),
        ("2", "rejected"),
    ]
    assert report["messages"][1]["errors"] == [
        "segment 5 of the message, element 3:1: invalid value (code 12)"
    ]


def test_contrl_rejecting_the_interchange_and_a_bad_action():
    contrl = (DATA / "contrl_d3_answers_desadv.edi").read_text().replace("{reference}", "9")
    rejecting = contrl.replace("+7'\nUCM", "+4+26+UNB+6'\nUCM")
    report = edifact.read_contrl(edifact.read_interchange(rejecting).messages[0])
    assert report["status"] == "rejected"
    assert report["errors"] == ["UNB element 6: duplicate detected (code 26)"]
    with pytest.raises(edifact.EdifactError, match="UCI action '5' is not a CONTRL action"):
        edifact.read_contrl(
            edifact.read_interchange(contrl.replace("+7'\nUCM", "+5'\nUCM")).messages[0]
        )
