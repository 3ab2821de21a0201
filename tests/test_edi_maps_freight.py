# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 210 shaped after public motor carrier guides read into the freight addon's
carrier invoice shape (logistics_sync_edi/lib/maps_freight.py), no Odoo."""

from datetime import date
from pathlib import Path

import pytest
from standalone import addon_module

x12 = addon_module("logistics_sync_edi.lib.x12")
x12map = addon_module("logistics_sync_edi.lib.x12map")
maps_freight = addon_module("logistics_sync_edi.lib.maps_freight")
EDI = Path(__file__).resolve().parent.parent / "logistics_sync_edi"
MAP_210 = x12map.load_map(EDI / "maps" / "210_004010.json")
SAMPLE = (EDI / "tests" / "data" / "210_004010_fuel_liftgate.x12").read_text()


def _values(text):
    (interchange,) = x12.parse(text)
    assert interchange.all_errors == []
    values, errors = x12map.read_set(interchange.sets[0], MAP_210)
    assert errors == []
    return values


def test_210_to_carrier_invoice_lines():
    number, invoice = maps_freight.invoice_from_210(_values(SAMPLE))
    assert number == "INV-88120"
    assert invoice["date"] == date(2026, 12, 10) and invoice["currency"] == "USD"
    assert [
        (line["charge_type"], line["amount"], line["shipment_ref"], line["tracking_ref"])
        for line in invoice["lines"]
    ] == [
        ("base", 112.5, "WH/OUT/00042", "07731234567"),
        ("fuel", 23.0, "WH/OUT/00042", "07731234567"),
        ("liftgate", 10.0, "WH/OUT/00042", "07731234567"),
    ]
    assert invoice["lines"][2]["description"] == "LIFTGATE DELIVERY"
    assert invoice["lines"][0]["line"] == 16  # the L1's position in the file


@pytest.mark.parametrize(
    ("old", "new", "segment", "element", "words"),
    [
        (
            "L3*230*G***14550~",
            "L3*230*G***14600~",
            "L3",
            5,
            "L3-05 says 146.00, the L1 charges add up to 145.50",
        ),
        ("*20261210*14550**", "*20261210*14500**", "B3", 7, "B3-07 says 145.00"),
        ("L1*1***2300****FUE~", "L1*1***2300****ZZZ~", "L1", 8, "Charge code 'ZZZ' is not in"),
    ],
)
def test_210_bad_totals_and_codes(old, new, segment, element, words):
    with pytest.raises(x12.X12Error) as info:
        maps_freight.invoice_from_210(_values(SAMPLE.replace(old, new)))
    assert (info.value.segment_id, info.value.element) == (segment, element)
    assert info.value.position is not None
    assert words in str(info.value)


def test_210_partner_charge_codes():
    codes = dict(maps_freight.DEFAULT_CHARGE_CODES, ZZZ="residential")
    _number, invoice = maps_freight.invoice_from_210(
        _values(SAMPLE.replace("****FUE~", "****ZZZ~")), codes
    )
    assert [line["charge_type"] for line in invoice["lines"]] == ["base", "residential", "liftgate"]
