"""Validation and normalisation of canonical events (CONTRACT.md, version 1)."""

import base64
import binascii
import hashlib
import json
import os
from datetime import UTC, datetime

import rfc3339_validator
from jsonschema import Draft202012Validator

from .fastschema import compile_schema

SCHEMA_PATH = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "schemas", "canonical_event_v1.json"
)
with open(SCHEMA_PATH, encoding="utf-8") as _fh:
    SCHEMA = json.load(_fh)
# "format": "date-time" is RFC 3339 with an offset, checked by rfc3339-validator
# (jsonschema's format checker uses it when it is installed: requirements.txt).
_VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
# a fast "valid" for the common case; jsonschema answers everything else (fastschema.py)
_FAST = compile_schema(SCHEMA)

MILESTONE = "milestone"
_TYPED_VALIDATORS = {}  # schema path -> (validator, fast check), once per process


def _validator_for(path):
    if path not in _TYPED_VALIDATORS:
        with open(path, encoding="utf-8") as fh:
            schema = json.load(fh)
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        _TYPED_VALIDATORS[path] = validator, compile_schema(schema)
    return _TYPED_VALIDATORS[path]


def event_type(event, types=None):
    """The declared type of an event: ``"milestone"`` unless its ``type`` names one
    of ``types`` (a mapping type name -> JSON Schema path declared by the addons).

    A ``type`` no addon declared is an unknown extra field, as it was before typed
    events existed (the event is then a milestone event)."""
    declared = event.get("type") if isinstance(event, dict) else None
    if types and isinstance(declared, str) and declared in types:
        return declared
    return MILESTONE


DATE_TIME_HINT = "with a UTC offset, e.g. 2026-11-26T08:00:00Z or 2026-11-26T09:00:00+01:00"


def parse_rfc3339(value):
    """An RFC 3339 date-time with offset as a naive UTC datetime; ValueError otherwise."""
    if not isinstance(value, str) or not rfc3339_validator.validate_rfc3339(value):
        raise ValueError("not an RFC 3339 date-time with a UTC offset")
    parsed = datetime.fromisoformat(value.upper())
    if parsed.tzinfo is None:
        raise ValueError("date-time has no UTC offset")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _field_path(error):
    return ".".join(str(p) for p in error.absolute_path) or (
        error.validator == "required" and error.message.split("'")[1] or ""
    )


def _error_path(error):
    return list(error.path)


def validate_events(events, types=None):
    """Validate a list of event objects; return a list of error dicts (empty if valid).

    Each error: ``{"index": i, "field": "location.country", "message": "..."}``.
    ``types``: the typed events the database knows (type name -> JSON Schema path);
    an event whose ``type`` names one is validated by that schema.
    """
    errors = []
    for index, event in enumerate(events):
        kind = event_type(event, types)
        validator, fast = (_VALIDATOR, _FAST) if kind == MILESTONE else _validator_for(types[kind])
        if (
            kind == MILESTONE
            and isinstance(event, dict)
            and "milestone" not in event
            and isinstance(event.get("type"), str)
            and event["type"] != MILESTONE
        ):
            known = ", ".join(sorted({MILESTONE, *(types or ())}))
            errors.append(
                {
                    "index": index,
                    "field": "type",
                    "message": f"unknown event type {event['type']!r}; this endpoint "
                    f"accepts: {known}",
                }
            )
            continue
        valid = fast(event)  # True only when jsonschema would find nothing
        for error in () if valid else sorted(validator.iter_errors(event), key=_error_path):
            message = error.message
            if error.validator == "format" and error.validator_value == "date-time":
                message = f"{error.instance!r} is not an RFC 3339 date-time {DATE_TIME_HINT}"
            elif error.validator == "format" and error.validator_value == "date":
                message = f"{error.instance!r} is not a calendar date (YYYY-MM-DD)"
            errors.append({"index": index, "field": _field_path(error), "message": message})
        if not isinstance(event, dict):
            continue
        pod = event.get("pod")
        document = pod.get("document_b64") if isinstance(pod, dict) else None
        if isinstance(document, str):
            try:
                base64.b64decode(document, validate=True)
            except (binascii.Error, ValueError):
                errors.append(
                    {
                        "index": index,
                        "field": "pod.document_b64",
                        "message": "not valid base64",
                    }
                )
    return errors


def nul_characters(items):
    """Errors for NUL characters in any string (PostgreSQL text cannot hold them)."""
    errors = []

    def walk(value, path, index):
        if isinstance(value, str):
            if "\x00" in value:
                errors.append(
                    {"index": index, "field": path, "message": "NUL characters are not allowed"}
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, path, index)
                walk(item, f"{path}.{key}" if path else str(key), index)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(item, f"{path}.{position}" if path else str(position), index)

    for index, item in enumerate(items):
        walk(item, "", index)
    return errors


def canonical_text(event):
    """The event as JSON independent of key order and spacing (what is hashed)."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(event, text=None):
    """Stable hash of an event's content, independent of key order and spacing.
    ``text``: its ``canonical_text`` when the caller has it already."""
    return hashlib.sha256((text or canonical_text(event)).encode()).hexdigest()


def to_values(event, types=None):
    """The known fields of a validated event as plain values for a logistics.event.

    Unknown fields are not returned (they stay in the raw payload only).  A typed
    event (see ``event_type``) gives its common fields only: its own fields are read
    from the raw payload by the addon that declared the type.  Every event gives the
    same keys (a batch is stored by one multi-row INSERT).
    """
    kind = event_type(event, types)
    typed = kind != MILESTONE
    location = (not typed and event.get("location")) or {}
    pod = (not typed and event.get("pod")) or {}
    eta = not typed and event.get("eta")
    return {
        "external_id": event["event_id"],
        "shipment_ref": event["shipment_ref"],
        "event_type": kind,
        "milestone": False if typed else event["milestone"],
        "occurred_at": parse_rfc3339(event["occurred_at"]),
        "sequence": event.get("sequence"),
        "tracking_ref": event.get("tracking_ref") or False,
        "carrier_code": event.get("carrier") or False,
        "reason": event.get("reason") or False,
        "description": event.get("description") or False,
        "location_city": location.get("city") or False,
        "location_postal_code": location.get("postal_code") or False,
        "location_country_code": location.get("country") or False,
        "location_lat": location.get("lat"),
        "location_lon": location.get("lon"),
        "eta": parse_rfc3339(eta) if eta else False,
        "pod_signed_by": pod.get("signed_by") or False,
        "source_status": (not typed and event.get("source_status")) or False,
    }
