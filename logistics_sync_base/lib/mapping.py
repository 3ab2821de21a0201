"""No-code inbound mapping: a sender's own JSON format -> canonical events.

An endpoint names, for each canonical field, the path of the value in the
sender's payload (``status.code``, ``events.0.id``; dots separate keys, digits
index lists) and a table from the sender's status codes to canonical
milestones.  The result is a canonical event, validated by the JSON Schema
like any other, so mapped webhooks share idempotency, ordering and dead letters.
"""

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

_MISSING = object()


def get_path(data, path):
    """The value at a dotted ``path`` of ``data``, or ``_MISSING``."""
    current = data
    for part in (path or "").removeprefix("$.").split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            if -len(current) <= index < len(current):
                current = current[index]
            else:
                return _MISSING
        else:
            return _MISSING
    return current


def map_event(payload, paths, status_map, carrier=None):
    """Map one sender payload.  Returns ``(event, errors)``.

    ``paths``: canonical field -> path (empty for unused optional fields);
    ``status_map``: sender status code (string) -> canonical milestone.
    Errors are ``{"field": ..., "message": ...}`` dicts naming the sender's path.
    """
    if not isinstance(payload, dict):
        return None, [{"field": "", "message": "each payload must be a JSON object"}]
    event, errors, location = {}, [], {}
    for field, path in paths.items():
        if not path:
            continue
        value = get_path(payload, path)
        if value is _MISSING or value is None or value == "":
            if PATH_FIELDS[field][1]:
                errors.append({"field": path, "message": f"missing value for {field}"})
            continue
        if field == "status":
            code = str(value)
            event["source_status"] = code
            milestone = status_map.get(code)
            if milestone:
                event["milestone"] = milestone
            else:
                errors.append(
                    {"field": path, "message": f"status {code!r} has no milestone in the mapping"}
                )
        elif field == "sequence":
            event["sequence"] = int(value) if isinstance(value, str) and value.isdigit() else value
        elif field.startswith("location."):
            location[field.split(".", 1)[1]] = value if isinstance(value, str) else str(value)
        else:
            event[field] = value if isinstance(value, str) else str(value)
    for field, (_path_field, required) in PATH_FIELDS.items():
        if required and not paths.get(field):
            errors.append({"field": field, "message": f"no path configured for {field}"})
    if location:
        event["location"] = location
    if carrier and "carrier" not in event:
        event["carrier"] = carrier
    return event, errors


def map_payloads(data, paths, status_map, carrier=None):
    """Map a single payload or a list of them.  Returns ``(events, errors)`` where
    each error also carries the payload's ``index``."""
    items = data if isinstance(data, list) else [data]
    events, errors = [], []
    for index, item in enumerate(items):
        event, item_errors = map_event(item, paths, status_map, carrier)
        events.append(event)
        errors.extend({"index": index, **error} for error in item_errors)
    return events, errors
