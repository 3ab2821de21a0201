# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Files shaped after public 004010 implementation guides, not written by us, for the
documents we send (940, 856, 204): our maps read them without an error, so what we
write and what guides show are the same segments in the same order."""

from pathlib import Path

import pytest
from standalone import addon_module

x12 = addon_module("logistics_sync_edi.lib.x12")
x12map = addon_module("logistics_sync_edi.lib.x12map")
EDI = Path(__file__).resolve().parent.parent / "logistics_sync_edi"


@pytest.mark.parametrize(
    ("name", "set_id", "check"),
    [
        (
            "940_004010_guide.x12",
            "940",
            lambda v: [i["W01"]["sku"] for i in v["LX"]] == ["FURN_8888", "FURN_9999"],
        ),
        (
            "856_004010_guide.x12",
            "856",
            lambda v: [h["HL"]["level"] for h in v["HL"]] == list("SOPIPI"),
        ),
        (
            "204_004010_guide.x12",
            "204",
            lambda v: [s["S5"]["reason"] for s in v["S5"]] == ["CL", "CU"],
        ),
    ],
)
def test_guide_shaped_files_read_with_our_maps(name, set_id, check):
    mapping = x12map.load_map(EDI / "maps" / f"{set_id}_004010.json")
    (interchange,) = x12.parse((EDI / "tests" / "data" / name).read_bytes())
    assert interchange.all_errors == []
    (transaction_set,) = interchange.sets
    values, errors = x12map.read_set(transaction_set, mapping)
    assert [str(e) for e in errors] == []
    assert check(values)
