# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Two Billing users credit the same billed charge at the same moment, on two
PostgreSQL sessions (tests/freight_credit_race.py): the second waits for the first's
lock on the charge, fails to serialize, is run again as Odoo runs a request again,
then sees the first credit and is refused with the figures; together
they never credit more than was billed."""

import configparser
import json
import subprocess
import uuid
from pathlib import Path

from conftest import ROOT, live_settings


def test_two_credits_at_once_never_exceed_what_was_billed(tmp_path):
    source_conf, odoo_bin, python = live_settings()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(source_conf)
    log = tmp_path / "race.log"
    with open(log, "wb") as handle:
        done = subprocess.run(  # noqa: S603
            [
                python,
                str(ROOT / "tests" / "freight_credit_race.py"),
                str(Path(odoo_bin).parent),
                source_conf,
                parser["options"]["db_name"],
                uuid.uuid4().hex[:8],
            ],
            stdout=subprocess.PIPE,
            stderr=handle,
            cwd=ROOT,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, f"exit status {done.returncode}, see {log}"
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert result["first"] == "credited", result
    assert result["second_waited"], result  # blocked on the first's lock, as it must be
    assert result["second_serialization_failures"] >= 1, result  # run again, as Odoo does
    assert result["second"] == "refused", result
    for figure in ("10.0 billed", "6.0 credited already", "4.0 left"):
        assert figure in result["second_message"], result
    assert (result["credits"], result["credited"]) == (1, 6.0), result
    bad = [
        line
        for line in log.read_text().splitlines()
        if any(level in line for level in (" WARNING ", " ERROR ", " CRITICAL "))
    ]
    assert bad == []
