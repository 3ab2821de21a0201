"""No-code inbound mapping: a sender's own JSON format -> canonical events.

An endpoint names, for each canonical field, the path of the value in the
sender's payload and a table from the sender's status codes to canonical
milestones.  Paths are JSONPath, through the kept ``jsonpath-ng`` library:
dotted paths (``status.code``, ``events.0.id``, ``checkpoints.-1.time``: dots
separate keys, integers index lists) are built straight into its expression
tree, anything else (``$.data[0].number``) goes through its extended parser, which
also joins values (``$.date + "T" + $.time``: a carrier's date and time sent apart).
Paths are
compiled once per endpoint (``build``; the result lives in the cached webhook
snapshot), never per request.

One body may carry many events (``events_path``, e.g. ``data``): each item of that
array is mapped with paths relative to the item.  An event id comes from a path,
or is derived from chosen canonical fields when the sender sends none.  Times
and countries are normalised (``timeparse``, ``countries``).  The result is a
canonical event, validated by the JSON Schema like any other, so mapped webhooks
share idempotency, ordering and dead letters.
"""

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath_parse
from jsonpath_ng.jsonpath import Child, Fields, Index

from . import countries, timeparse

# canonical field -> (endpoint field holding the path, required)
PATH_FIELDS = {
    "event_id": ("map_event_id_path", True),
    "shipment_ref": ("map_shipment_ref_path", True),
    "status": ("map_status_path", True),
    "occurred_at": ("map_occurred_at_path", True),
    "sequence": ("map_sequence_path", False),
    "tracking_ref": ("map_tracking_ref_path", False),
    "reason": ("map_reason_path", False),
    "description": ("map_description_path", False),
    "location.city": ("map_location_city_path", False),
    "location.postal_code": ("map_location_postal_code_path", False),
    "location.country": ("map_location_country_path", False),
    "eta": ("map_eta_path", False),
}
# canonical fields an event id may be derived from
ID_FIELDS = (
    "shipment_ref",
    "tracking_ref",
    "source_status",
    "milestone",
    "occurred_at",
    "description",
    "reason",
    "location.city",
    "location.postal_code",
    "location.country",
    "sequence",
)
_TIME_FIELDS = ("occurred_at", "eta")
_MISSING = object()


@lru_cache(maxsize=512)
def compile_path(path):
    """A path as a jsonpath-ng expression (None when empty); ValueError if invalid."""
    path = (path or "").strip()
    if not path:
        return None
    dotted = path.removeprefix("$.")
    if not any(char in dotted for char in "$[]*()?@|&'\" "):
        expression = None
        for part in dotted.split("."):
            if not part:
                raise ValueError(f"path {path!r} has an empty segment")
            node = Index(int(part)) if part.lstrip("-").isdigit() else Fields(part)
            expression = node if expression is None else Child(expression, node)
        return expression
    try:
        return jsonpath_parse(path)
    except (JsonPathLexerError, JsonPathParserError, ValueError, AttributeError) as exc:
        raise ValueError(f"path {path!r} is not JSONPath: {exc}") from None


def _find(expression, data):
    matches = expression.find(data)
    return matches[0].value if matches else _MISSING


def get_path(data, path):
    """The value at ``path`` of ``data``, or ``_MISSING``."""
    expression = compile_path(path)
    return _MISSING if expression is None else _find(expression, data)


@dataclass(frozen=True, kw_only=True)
class Mapping:
    """An endpoint's mapping, compiled once (see ``build``)."""

    paths: tuple = ()  # (canonical field, path as typed, compiled expression)
    status_map: dict = field(default_factory=dict)
    events_path: str = ""
    events: object = None
    event_id_fields: tuple = ()
    time_format: str = "rfc3339"
    time_zone: str = "UTC"
    carrier: str | None = None


def build(
    paths,
    status_map,
    events_path="",
    event_id_fields=(),
    time_format="rfc3339",
    time_zone="UTC",
    carrier=None,
):
    """Compile a mapping; ValueError naming the first bad setting."""
    compiled = []
    for name, path in paths.items():
        if name not in PATH_FIELDS:
            raise ValueError(f"unknown canonical field {name!r}")
        expression = compile_path(path)
        if expression is not None:
            compiled.append((name, path.strip(), expression))
    unknown = [name for name in event_id_fields if name not in ID_FIELDS]
    if unknown:
        raise ValueError(f"event id fields: unknown {', '.join(unknown)}")
    if time_format not in timeparse.FORMATS:
        raise ValueError(f"unknown time format {time_format!r}")
    timeparse.check_zone(time_zone)
    return Mapping(
        paths=tuple(compiled),
        status_map=dict(status_map),
        events_path=(events_path or "").strip(),
        events=compile_path(events_path),
        event_id_fields=tuple(event_id_fields),
        time_format=time_format,
        time_zone=time_zone or "UTC",
        carrier=carrier,
    )


def parse_id_fields(text):
    """``"tracking_ref, occurred_at"`` -> ``("tracking_ref", "occurred_at")``."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def config_errors(mapping):
    """Errors of the configuration itself (a required field without a path)."""
    configured = {name for name, _path, _expr in mapping.paths}
    errors = []
    for name, (_path_field, required) in PATH_FIELDS.items():
        if not required or name in configured:
            continue
        if name == "event_id" and mapping.event_id_fields:
            continue
        errors.append({"field": name, "message": f"no path configured for {name}"})
    return errors


def derive_event_id(event, names):
    """A stable id from canonical fields (same content, same id); None if all empty."""
    values = []
    for name in names:
        if name.startswith("location."):
            value = (event.get("location") or {}).get(name.split(".", 1)[1])
        else:
            value = event.get(name)
        values.append("" if value is None else str(value))
    if not any(values):
        return None
    return "h-" + hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:40]


def _convert(mapping, name, value):
    """The canonical value of ``name``; ValueError with a reason."""
    if name in _TIME_FIELDS:
        return timeparse.to_rfc3339(value, mapping.time_format, mapping.time_zone)
    if name == "location.country":
        return countries.to_alpha2(value)
    if name == "sequence":
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value  # the schema says what is wrong with it
    return value if isinstance(value, str) else str(value)


def map_item(mapping, item):
    """Map one sender item.  Returns ``(event, errors)``; errors name the item's path."""
    if not isinstance(item, dict):
        return None, [{"field": "", "message": "each payload must be a JSON object"}]
    event, errors, location = {}, [], {}
    for name, path, expression in mapping.paths:
        value = _find(expression, item)
        if value is _MISSING or value is None or value == "":
            required = PATH_FIELDS[name][1]
            if required and not (name == "event_id" and mapping.event_id_fields):
                errors.append({"field": path, "message": f"missing value for {name}"})
            continue
        if name == "status":
            code = str(value)
            event["source_status"] = code
            # "*" in the table: the milestone of every code it does not list
            milestone = mapping.status_map.get(code) or mapping.status_map.get("*")
            if milestone:
                event["milestone"] = milestone
            else:
                errors.append(
                    {"field": path, "message": f"status {code!r} has no milestone in the mapping"}
                )
            continue
        try:
            converted = _convert(mapping, name, value)
        except ValueError as exc:
            errors.append({"field": path, "message": f"{name}: {exc}"})
            continue
        if name.startswith("location."):
            location[name.split(".", 1)[1]] = converted
        else:
            event[name] = converted
    if location:
        event["location"] = location
    if mapping.carrier and "carrier" not in event:
        event["carrier"] = mapping.carrier
    if "event_id" not in event and mapping.event_id_fields and not errors:
        derived = derive_event_id(event, mapping.event_id_fields)
        if derived:
            event["event_id"] = derived
        else:
            errors.append(
                {
                    "field": ", ".join(mapping.event_id_fields),
                    "message": "no value to derive the event id from",
                }
            )
    return event, errors


def _items(mapping, data):
    """``[(item, location)]`` of a parsed body, and errors for bodies without events."""
    bodies = data if isinstance(data, list) else [data]
    items, errors = [], []
    for body_index, body in enumerate(bodies):
        where = f"$[{body_index}]" if isinstance(data, list) else "$"
        if mapping.events is None:
            items.append((body, where))
            continue
        found = _find(mapping.events, body) if isinstance(body, dict | list) else _MISSING
        if isinstance(found, dict):
            items.append((found, f"{where}.{mapping.events_path}"))
        elif isinstance(found, list) and found:
            items.extend(
                (item, f"{where}.{mapping.events_path}[{index}]")
                for index, item in enumerate(found)
            )
        else:
            errors.append(
                {
                    "index": body_index,
                    "field": mapping.events_path,
                    "path": f"{where}.{mapping.events_path}",
                    "message": "no event object or non-empty array at the events path",
                }
            )
    return items, errors


def map_body(mapping, data):
    """Map a parsed request body.  Returns ``(events, errors, originals)``.

    ``events`` and ``originals`` (the sender's item each event came from) are
    aligned; each error carries the event's ``index``, the ``field`` path as
    configured and the ``path`` from the body's root (``$.data[1].status.code``).
    """
    setup = config_errors(mapping)
    if setup:
        return [], [{"index": 0, **error, "path": "$"} for error in setup], []
    items, errors = _items(mapping, data)
    events, originals = [], []
    for index, (item, where) in enumerate(items):
        event, item_errors = map_item(mapping, item)
        events.append(event)
        originals.append(item)
        for error in item_errors:
            suffix = f".{error['field']}" if error["field"] else ""
            errors.append({"index": index, **error, "path": where + suffix})
    return events, errors, originals
