# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the carrier charges and accepts: services, prices, booking request fields."""

from decimal import ROUND_HALF_UP, Decimal

from odoo.addons.logistics_sync_base.simulator.server import bad_field

CURRENCY = "EUR"
SERVICES = {"standard": (Decimal("1"), 2), "express": (Decimal("1.8"), 1)}


def rate_amount(weight_kg, service):
    """5.00 + 1.25 per kg, times 1.8 for express, rounded half-up to cents."""
    factor, _days = SERVICES[service]
    amount = (Decimal("5.00") + Decimal("1.25") * Decimal(str(weight_kg))) * factor
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def transit_days(service):
    return SERVICES[service][1]


def weight(value, field_name="weight_kg"):
    if value is None:
        raise bad_field(field_name, f"{field_name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_field(field_name, f"{field_name} must be a number")
    if not 0 < value <= 1000:
        raise bad_field(field_name, f"{field_name} must be above 0 and at most 1000")
    return float(value)


def service(value, field_name="service"):
    chosen = value or "standard"
    if chosen not in SERVICES:
        raise bad_field(field_name, f"{field_name} must be one of {', '.join(SERVICES)}")
    return chosen


def recipient(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_field("recipient", "recipient must be an object")
    result = {}
    for key in ("name", "street", "city", "zip", "country"):
        item = value.get(key)
        if item in (None, ""):
            continue
        if not isinstance(item, str):
            raise bad_field(f"recipient.{key}", f"recipient.{key} must be a string")
        result[key] = item
    return result
