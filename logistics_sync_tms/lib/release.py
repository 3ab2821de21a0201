# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shipment requests and TMS answers as plain values (no ORM).

- ``validate_request``: the errors of a shipment request against its JSON Schema
  (``static/schemas/tms_shipment_request_v1.json``), worded for users;
- ``fingerprint``: a stable digest (has the request changed since it was sent?);
- ``answer_rank``: how far a TMS answer moves a release (answers never go back);
- ``idempotency_key``: one key per release, version and operation.
"""

import hashlib
import json
import os

from jsonschema import Draft202012Validator

from odoo.addons.logistics_sync_base.lib.fastschema import compile_schema

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "schemas")
REQUEST_SCHEMA_PATH = os.path.join(SCHEMA_DIR, "tms_shipment_request_v1.json")
UPDATE_SCHEMA_PATH = os.path.join(SCHEMA_DIR, "tms_update_v1.json")
with open(REQUEST_SCHEMA_PATH, encoding="utf-8") as _fh:
    REQUEST_SCHEMA = json.load(_fh)


def inline_refs(schema, defs=None):
    """The schema with its local ``#/$defs/...`` references replaced by their
    definitions: the same rules, validated without resolving a reference per
    value (batch windows validate hundreds of requests per call)."""
    defs = schema.get("$defs", {}) if defs is None else defs
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return inline_refs(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [inline_refs(item, defs) for item in schema]
    return schema


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


def fingerprint(doc):
    """Digest of a request without its version (same content -> same digest)."""
    content = {k: v for k, v in doc.items() if k != "version"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def answer_rank(status):
    return ANSWER_RANK.get(status, 0)


def idempotency_key(prefix, release_id, version, operation):
    return f"{prefix}-{release_id}-v{version}-{operation}"
