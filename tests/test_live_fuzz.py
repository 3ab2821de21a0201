# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A few hundred schemathesis cases against the real server (tests/webhook_fuzz.py):
no 5xx, every answer one the contract lists.  bench/fuzz runs 10,000 and more."""

import uuid

from test_live_webhook import _endpoint
from webhook_fuzz import fuzz

CASES = 300


def test_fuzzed_requests_get_contract_answers_only(odoo_server):
    code = f"live-fuzz-{uuid.uuid4().hex[:6]}"
    endpoint_id, secret = _endpoint(odoo_server, code)
    statuses, failures = fuzz(odoo_server.url, code, secret, CASES)
    assert failures == [], failures[:5]
    assert sum(statuses.values()) >= CASES * 0.9, statuses
    assert not any(status >= 500 for status in statuses), statuses
    # both sides of the contract were reached: stored events and refusals
    assert statuses[202] and statuses[422] and statuses[401], statuses
    # what was stored was accepted: every stored event of the endpoint is canonical
    stored = odoo_server.call(
        "logistics.event",
        "search_read",
        [("endpoint_id", "=", endpoint_id)],
        fields=["external_id", "milestone", "occurred_at"],
    )
    assert stored and all(row["milestone"] and row["occurred_at"] for row in stored)
