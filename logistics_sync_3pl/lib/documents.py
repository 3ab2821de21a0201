# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL documents as plain values (no ORM): their JSON Schemas and checks.

Shipping orders and receipt advices (``schemas/shipping_order_v1.json``,
``schemas/receipt_advice_v1.json``) go out; confirmations and stock snapshots
come in as typed canonical events (``schemas/tpl_*_v1.json``).  Digests and
idempotency keys are base's (``logistics_sync_base/lib/release.py``).
"""

import json
import os

from jsonschema import Draft202012Validator

from odoo.addons.logistics_sync_base.lib.release import fingerprint, idempotency_key, inline_refs

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas")
SHIPPING_ORDER = os.path.join(SCHEMA_DIR, "shipping_order_v1.json")
RECEIPT_ADVICE = os.path.join(SCHEMA_DIR, "receipt_advice_v1.json")
SHIPPING_CONFIRMATION = os.path.join(SCHEMA_DIR, "tpl_shipping_confirmation_v1.json")
RECEIPT_CONFIRMATION = os.path.join(SCHEMA_DIR, "tpl_receipt_confirmation_v1.json")
STOCK_SNAPSHOT = os.path.join(SCHEMA_DIR, "tpl_stock_snapshot_v1.json")
INBOUND_ASN = os.path.join(SCHEMA_DIR, "tpl_inbound_asn_v1.json")

DOCUMENT_SCHEMAS = {"shipping_order": SHIPPING_ORDER, "receipt_advice": RECEIPT_ADVICE}


def _validator(path):
    with open(path, encoding="utf-8") as fh:
        schema = json.load(fh)
    return Draft202012Validator(
        inline_refs(schema), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


_VALIDATORS = {kind: _validator(path) for kind, path in DOCUMENT_SCHEMAS.items()}

# what a user reads for a missing or wrong field (the rest: the schema's message)
FIELD_HINTS = {
    "lines": "no lines to send",
    "party": "no partner on the transfer",
    "party.name": "the partner has no name",
}


def validate_document(doc):
    """Human-readable problems of an outgoing document (empty: it may be sent)."""
    validator = _VALIDATORS[doc.get("document_type", "shipping_order")]
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        parts = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            parts.append(error.message.split("'")[1])
        path = ".".join(parts)
        if path.startswith("lines.") and path.endswith(".sku"):
            problems.append("a product has no internal reference (the 3PL's SKU)")
            continue
        problems.append(FIELD_HINTS.get(path) or f"{path}: {error.message}")
    return list(dict.fromkeys(problems))


__all__ = [
    "DOCUMENT_SCHEMAS",
    "INBOUND_ASN",
    "RECEIPT_CONFIRMATION",
    "SHIPPING_CONFIRMATION",
    "STOCK_SNAPSHOT",
    "fingerprint",
    "idempotency_key",
    "validate_document",
]
