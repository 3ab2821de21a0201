# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""docs/EDI_REFERENCE.md, what trading partners build their files from, is the maps the
EDI addon reads with: a map changed without the page regenerated fails here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_partner_reference_is_generated_from_the_maps():
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "docs" / "edi_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_reference_names_every_mandatory_segment_of_the_945():
    text = (ROOT / "docs" / "EDI_REFERENCE.md").read_text()
    section = text.split("## 945", 1)[1].split("\n## ", 1)[0]
    for segment in ("W06", "W27", "W12", "W03"):
        assert f"**{segment}**" in section and "mandatory" in section, segment
