# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shipment requests and TMS answers as plain values (no ORM).

``fingerprint``, ``idempotency_key`` and ``inline_refs`` are base's
(``logistics_sync_base/lib/release.py``), shared with the 3PL documents.

- ``validate_request``: the errors of a shipment request against its JSON Schema
  (``static/schemas/tms_shipment_request_v1.json``), worded for users;
- ``answer_rank``: how far a TMS answer moves a release (answers never go back).
"""

import json
import os

from jsonschema import Draft202012Validator

from odoo.addons.logistics_sync_base.lib.fastschema import compile_schema
from odoo.addons.logistics_sync_base.lib.release import fingerprint, idempotency_key, inline_refs

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "schemas")
REQUEST_SCHEMA_PATH = os.path.join(SCHEMA_DIR, "tms_shipment_request_v1.json")
UPDATE_SCHEMA_PATH = os.path.join(SCHEMA_DIR, "tms_update_v1.json")
with open(REQUEST_SCHEMA_PATH, encoding="utf-8") as _fh:
    REQUEST_SCHEMA = json.load(_fh)


_VALIDATOR = Draft202012Validator(
    inline_refs(REQUEST_SCHEMA), format_checker=Draft202012Validator.FORMAT_CHECKER
)


# a fast "valid" for the common case; jsonschema answers everything else and words
# the problems (logistics_sync_base/lib/fastschema.py)
_FAST = compile_schema(inline_refs(REQUEST_SCHEMA))


def is_valid_request(doc):
    """Does the request validate?  The compiled check's yes, else jsonschema's answer."""
    return _FAST(doc) or _VALIDATOR.is_valid(doc)


# What a user reads for a missing or wrong field (the rest: the schema's message).
FIELD_HINTS = {
    "total_weight_kg": "no weight (set the products' weight)",
    "consignee": "no consignee address",
    "consignee.street": "no consignee street",
    "consignee.city": "no consignee city",
    "consignee.country": "no consignee country",
    "consignee.name": "no consignee name",
    "shipper.street": "no shipper (warehouse) street",
    "shipper.city": "no shipper (warehouse) city",
    "shipper.country": "no shipper (warehouse) country",
    "pickup_window": "no pickup date (scheduled date)",
    "delivery_window": "no delivery date (deadline)",
    "lines": "no lines to ship",
}

ANSWER_RANK = {"accepted": 1, "rejected": 1, "carrier_assigned": 2, "planned": 3}


def _path(error):
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        parts.append(error.message.split("'")[1])
    return ".".join(parts)


def validate_request(doc):
    """Human-readable problems of a shipment request (empty: it may be sent)."""
    if is_valid_request(doc):
        return []
    problems = []
    for error in sorted(_VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = _path(error)
        hint = FIELD_HINTS.get(path)
        if hint is None and path.startswith("lines."):
            hint = FIELD_HINTS.get("lines.*") or f"{path}: {error.message}"
        problems.append(hint or f"{path}: {error.message}")
    return list(dict.fromkeys(problems))


def answer_rank(status):
    return ANSWER_RANK.get(status, 0)


__all__ = [
    "answer_rank",
    "fingerprint",
    "idempotency_key",
    "inline_refs",
    "is_valid_request",
    "validate_request",
]
