# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The example files of logistics_sync_edi/readme/examples/, what a partner builds
from, are trustworthy: the outbound ones (940, 856, 204, DESADV) are what our writer
produces for the story's data (docs/edi_examples.py), and the inbound ones (945,
990, 214, 210, IFTSTA) read without an error through our engine and answer them (same
documents, versions, line ids, units, ISA qualifiers and IDs)."""

from pathlib import Path

import pytest
from standalone import addon_module, docs_script

x12 = addon_module("logistics_sync_edi.lib.x12")
x12map = addon_module("logistics_sync_edi.lib.x12map")
maps_tpl = addon_module("logistics_sync_edi.lib.maps_tpl")
maps_tms = addon_module("logistics_sync_edi.lib.maps_tms")
maps_freight = addon_module("logistics_sync_edi.lib.maps_freight")
status214 = addon_module("logistics_sync_edi.lib.status214")
edifact = addon_module("logistics_sync_edi.lib.edifact")
ROOT = Path(__file__).resolve().parent.parent
EDI = ROOT / "logistics_sync_edi"
EXAMPLES = EDI / "readme" / "examples"


def _read(name):
    """(interchange, values of its only set) of an X12 example, checked error-free."""
    (interchange,) = x12.parse((EXAMPLES / name).read_bytes())
    assert interchange.all_errors == [], name
    (transaction_set,) = interchange.sets
    mapping = x12map.load_map(EDI / "maps" / f"{transaction_set.set_id}_004010.json")
    values, errors = x12map.read_set(transaction_set, mapping)
    assert [str(e) for e in errors] == [], name
    return interchange, values


def _parties(name):
    """((sender qualifier, id), (receiver qualifier, id), usage) from the ISA text."""
    isa = (EXAMPLES / name).read_text().split("~", 1)[0].split("*")
    return (isa[5], isa[6].strip()), (isa[7], isa[8].strip()), isa[15]


def test_outbound_examples_are_what_the_writer_produces(capsys):
    assert docs_script("edi_examples").main(["--check"]) == 0, capsys.readouterr().err


def test_a_changed_writer_makes_the_examples_stale(tmp_path, monkeypatch):
    """The check compares with the writer's output: an example edited by hand fails."""
    module = docs_script("edi_examples")
    for name, text in module.render().items():
        (tmp_path / name).write_text(text, encoding="iso8859-1")
    monkeypatch.setattr(module, "EXAMPLES", tmp_path)
    assert module.main(["--check"]) == 0
    path = tmp_path / "940_004010_shipping_order.x12"
    path.write_text(path.read_text().replace("N4*Pleasant Hill*CA*", "N4*Pleasant Hill**"))
    assert module.main(["--check"]) == 1


def test_every_example_uses_one_isa_pair_per_partner_and_production_usage():
    us = ("ZZ", "ACMEMFG")
    pairs = {
        "940_004010_shipping_order.x12": ("ZZ", "LYON3PL"),
        "945_004010_shipping_advice.x12": ("ZZ", "LYON3PL"),
        "856_004010_asn.x12": ("ZZ", "DECOADDICT"),
        "204_004010_load_tender.x12": ("ZZ", "ODFL"),
        "990_004010_response.x12": ("ZZ", "ODFL"),
        "214_004010_shipment_status.x12": ("ZZ", "ODFL"),
        "210_004010_freight_invoice.x12": ("ZZ", "ODFL"),
        "824_004010_application_advice.x12": ("ZZ", "ODFL"),
    }
    for name, partner in pairs.items():
        sender, receiver, usage = _parties(name)
        outbound = name.startswith(("940", "856", "204", "824"))
        assert (sender, receiver) == ((us, partner) if outbound else (partner, us)), name
        assert usage == "P", name


def test_945_example_answers_the_940_example():
    _, order = _read("940_004010_shipping_order.x12")
    _, advice = _read("945_004010_shipping_advice.x12")
    event = maps_tpl.confirmation_from_945(advice, "x12:LYON3PL:000000731:0001")
    assert event["shipment_ref"] == order["W05"]["depositor_order"]
    version = [r["ref"] for r in order["N9"] if r["qualifier"] == "VR"]
    assert [str(event["document_version"])] == version
    ordered = {
        item["N9"][0]["ref"]: (item["W01"]["sku"], item["W01"]["unit"], item["W01"]["quantity"])
        for item in order["LX"]
    }
    for item in advice["LX"]:
        w12 = item["W12"]
        sku, unit, quantity = ordered[item["N9"][0]["ref"]]
        assert (w12["sku"], w12["unit"], w12["ordered"]) == (sku, unit, quantity)
    assert advice["N1"][0]["N4"]["city"] == order["N1"][0]["N4"]["city"]


def test_856_and_desadv_examples_tell_what_the_945_example_shipped():
    _, advice = _read("945_004010_shipping_advice.x12")
    shipped = [
        (item["W12"]["sku"], item["W12"]["shipped"], item["W12"].get("lot") or "")
        for item in advice["LX"]
    ]
    _, asn = _read("856_004010_asn.x12")
    items = [
        (h["LIN"]["sku"], h["SN1"]["quantity"], h["LIN"].get("lot") or "")
        for h in asn["HL"]
        if h["HL"]["level"] == "I"
    ]
    assert items == shipped
    assert asn["BSN"]["shipment_id"] == advice["W06"]["depositor_order"]
    assert asn["HL"][0]["N1"][0]["N4"]["state"] == "CA"
    desadv = edifact.read_interchange((EXAMPLES / "desadv_d96a.edi").read_bytes())
    (message,) = desadv.messages
    bgm = next(s for s in message.segments if s.tag == "BGM")
    assert bgm.get(1) == advice["W06"]["depositor_order"]


def test_990_214_210_and_iftsta_examples_answer_the_204_example():
    _, tender = _read("204_004010_load_tender.x12")
    release = tender["B2"]["shipment_id"]
    version = int(next(r["ref"] for r in tender["L11"] if r["qualifier"] == "VR"))
    assert [s["N1"][0]["N4"]["state"] for s in tender["S5"]] == ["", "CA"]

    _, response = _read("990_004010_response.x12")
    update = maps_tms.update_from_990(response, "e", None)
    assert (update["shipment_ref"], update["version"], update["status"]) == (
        release,
        version,
        "accepted",
    )

    _, status = _read("214_004010_shipment_status.x12")
    events = status214.events(
        status,
        id_prefix="x12/519/",
        statuses={"X3": "carrier_assigned", "AF": "picked_up"},
        reasons={"NS": ""},
    )
    assert [(e["shipment_ref"], e["milestone"]) for e in events] == [
        (release, "carrier_assigned"),
        (release, "picked_up"),
    ]
    assert status["B10"]["tracking_ref"] == update["load_ref"]

    _, invoice = _read("210_004010_freight_invoice.x12")
    number, data = maps_freight.invoice_from_210(invoice)
    assert number == "INV-88120"
    assert {line["shipment_ref"] for line in data["lines"]} == {release}
    assert sum(line["amount"] for line in data["lines"]) == pytest.approx(145.5)

    interchange = edifact.read_interchange((EXAMPLES / "iftsta_d96a.edi").read_bytes())
    (message,) = interchange.messages
    events = edifact.read_iftsta(message, interchange.sender)
    assert [(e["shipment_ref"], e["milestone"]) for e in events] == [
        (release, "picked_up"),
        (release, "in_transit"),
    ]
    desadv = edifact.read_interchange((EXAMPLES / "desadv_d96a.edi").read_bytes())
    # the European carrier and customer address us by our GLN, as the DESADV sends it
    assert interchange.recipient == desadv.sender


def test_824_example_rejects_the_214_example_set_by_its_references():
    """The 824 reads back through our engine and its map, and names the 214's
    interchange (BGN-02), group, set and B10-01 and the B10's position in the set."""
    advice_interchange, advice = _read("824_004010_application_advice.x12")
    assert advice_interchange.groups[0].functional_id == "AG"
    interchange, status = _read("214_004010_shipment_status.x12")
    (group,) = interchange.groups
    assert advice["BGN"]["reference"] == interchange.control
    (oti,) = advice["OTI"]
    assert (
        oti["OTI"]["status"],
        oti["OTI"]["reference"],
        oti["OTI"]["group_control"],
        oti["OTI"]["set_control"],
        oti["OTI"]["set_id"],
    ) == ("TR", status["B10"]["tracking_ref"], group.control, "0001", "214")
    (ted,) = oti["TED"]
    assert (ted["TED"]["segment_id"], ted["TED"]["position"], ted["TED"]["element"]) == (
        "B10",
        "2",
        "2",
    )
    assert len(ted["TED"]["message"]) <= 60


def test_the_readme_shows_the_example_files_as_they_are():
    usage = (EDI / "readme" / "USAGE.md").read_text()
    blocks = [block.split("```", 1)[0] for block in usage.split("```\n")[1::2]]
    shown = [block for block in blocks if block.startswith("ISA*")]
    assert shown == [
        (EXAMPLES / name).read_text()
        for name in ("214_004010_shipment_status.x12", "997_004010_answer_to_214.x12")
    ]
