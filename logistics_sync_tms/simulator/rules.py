# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the TMS accepts, rejects and plans: plain values in, plain values out.

- ``check_request``: the HTTP-level checks of a shipment request (a 400 names
  the field); a request passing them is stored (202) even when its data are
  not plannable;
- ``rejection_reason``: why the TMS refuses to plan it (sent later, in a
  ``rejected`` webhook): no weight, no consignee street, city or country;
- ``consolidation_key``: releases with the same pickup date, shipper and
  destination country travel in one load;
- ``planned_windows`` and ``planned_cost``: what the planner answers.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from odoo.addons.logistics_sync_base.simulator.server import bad_field

CURRENCY = "EUR"
TRANSIT_DAYS = {"express": 1, "standard": 2, "economy": 4}
MAX_BATCH = 500


def fingerprint(doc):
    """A stable digest of a JSON document (idempotency: same key, same body?)."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def check_request(data):
    """``(release_id, version)`` of a shipment request, or a 400 ``SimError``."""
    if not isinstance(data, dict):
        raise bad_field("shipments", "each shipment request must be an object")
    release_id = data.get("release_id")
    if not isinstance(release_id, str) or not release_id.strip():
        raise bad_field("release_id", "release_id is required (a non-empty string)")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise bad_field("version", "version is required (an integer >= 1)")
    consignee = data.get("consignee")
    if consignee is not None and not isinstance(consignee, dict):
        raise bad_field("consignee", "consignee must be an object")
    for name in ("pickup_window", "delivery_window"):
        window = data.get(name)
        if window is not None and not isinstance(window, dict):
            raise bad_field(name, f"{name} must be an object with start and end")
    lines = data.get("lines")
    if lines is not None and not isinstance(lines, list):
        raise bad_field("lines", "lines must be an array")
    return release_id, version


def total_weight(data):
    """``total_weight_kg``, else the sum of ``lines[].weight_kg`` (0 when unknown)."""
    weight = data.get("total_weight_kg")
    if isinstance(weight, int | float) and not isinstance(weight, bool) and weight > 0:
        return float(weight)
    total = 0.0
    for line in data.get("lines") or []:
        item = line.get("weight_kg") if isinstance(line, dict) else None
        if isinstance(item, int | float) and not isinstance(item, bool) and item > 0:
            total += float(item)
    return total


def rejection_reason(data):
    """Why a tender cannot be planned (text of the ``rejected`` webhook), or None."""
    missing = []
    if total_weight(data) <= 0:
        missing.append("weight (total_weight_kg)")
    consignee = data.get("consignee") or {}
    for key in ("street", "city", "country"):
        if not str(consignee.get(key) or "").strip():
            missing.append(f"consignee {key}")
    if missing:
        return "Tender rejected: missing " + ", ".join(missing) + "."
    return None


def parse_time(value):
    """An RFC 3339 string as an aware datetime, None when absent or not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shipper_name(data):
    shipper = data.get("shipper")
    if isinstance(shipper, dict):
        return str(shipper.get("name") or shipper.get("id") or "")
    return str(shipper or "")


def pickup_start(data, now=None):
    """The requested pickup start, else the next day 08:00 UTC."""
    window = data.get("pickup_window") or {}
    start = parse_time(window.get("start"))
    if start is None:
        day = (now or datetime.now(UTC)) + timedelta(days=1)
        start = day.replace(hour=8, minute=0, second=0, microsecond=0)
    return start


def consolidation_key(data, now=None):
    """(pickup date, shipper, destination country): releases sharing it share a load."""
    country = str((data.get("consignee") or {}).get("country") or "").upper()
    return (pickup_start(data, now).date().isoformat(), _shipper_name(data), country)


def planned_windows(data, now=None):
    """``(planned_pickup, planned_delivery)``, each ``{"start", "end"}`` (RFC 3339, UTC).

    The requested windows when given, else pickup the next day 08:00-12:00 and
    delivery after the service level's transit days, 08:00-17:00.
    """
    window = data.get("pickup_window") or {}
    start = pickup_start(data, now)
    end = parse_time(window.get("end")) or start + timedelta(hours=4)
    delivery = data.get("delivery_window") or {}
    d_start = parse_time(delivery.get("start"))
    d_end = parse_time(delivery.get("end"))
    if d_start is None:
        days = TRANSIT_DAYS.get(str(data.get("service_level") or "standard"), 2)
        d_start = (start + timedelta(days=days)).replace(hour=8, minute=0, second=0)
    if d_end is None or d_end < d_start:
        d_end = d_start.replace(hour=17, minute=0, second=0)
        if d_end <= d_start:
            d_end = d_start + timedelta(hours=4)
    return (
        {"start": format_time(start), "end": format_time(end)},
        {"start": format_time(d_start), "end": format_time(d_end)},
    )


def planned_cost(data):
    """Base freight 45.00 + 0.35 per kg, a fuel surcharge of 12 %, 25.00 express."""
    weight = total_weight(data)
    base = round(45.0 + 0.35 * weight, 2)
    lines = [
        {"charge_type": "base_freight", "amount": base},
        {"charge_type": "fuel_surcharge", "amount": round(base * 0.12, 2)},
    ]
    if data.get("service_level") == "express":
        lines.append({"charge_type": "express", "amount": 25.0})
    return {"currency": CURRENCY, "lines": lines}
