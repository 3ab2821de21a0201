# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every release of documents to an external system shares (plain values).

Used by the TMS releases (``logistics_sync_tms``) and the 3PL documents
(``logistics_sync_3pl``):

- ``inline_refs``: a JSON Schema with its local ``#/$defs`` references inlined
  (validated without resolving a reference per value);
- ``fingerprint``: a stable digest of a document without its version (has it
  changed since it was sent?);
- ``idempotency_key``: one key per document, version and operation.
"""

import hashlib
import json


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


def fingerprint(doc):
    """Digest of a document without its version (same content -> same digest)."""
    content = {k: v for k, v in doc.items() if k != "version"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def idempotency_key(prefix, release_id, version, operation):
    return f"{prefix}-{release_id}-v{version}-{operation}"
