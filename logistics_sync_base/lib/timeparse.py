"""Event times as senders write them -> RFC 3339 in UTC (``...Z``).

Formats an endpoint can choose (``FORMATS``):

- ``rfc3339``: an RFC 3339 date-time with an offset, checked with the kept
  ``rfc3339-validator`` library and normalised to UTC;
- ``local``: a date-time without offset (``2026-11-26 17:05``, ``2026-11-26T17:05:00``)
  read in the endpoint's time zone; a value that carries an offset keeps it;
- ``epoch_s`` / ``epoch_ms``: Unix seconds or milliseconds (number or digits).
"""

from datetime import UTC, datetime
from functools import lru_cache

import pytz
from rfc3339_validator import validate_rfc3339

FORMATS = {
    "rfc3339": "RFC 3339 with offset",
    "local": "Local time in the endpoint's time zone",
    "epoch_s": "Unix seconds",
    "epoch_ms": "Unix milliseconds",
}


@lru_cache(maxsize=64)
def _zone(name):
    try:
        return pytz.timezone(name or "UTC")
    except pytz.UnknownTimeZoneError:
        raise ValueError(f"unknown time zone {name!r}") from None


def check_zone(name):
    """Raise ValueError for a time zone name pytz does not know."""
    _zone(name)


def _utc_text(moment):
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _number(value):
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        return float(value) if "." in value else int(value)
    raise ValueError("not a number")


def to_rfc3339(value, fmt="rfc3339", zone="UTC"):
    """``value`` read as ``fmt`` -> RFC 3339 text in UTC; ValueError if it cannot be read."""
    if fmt in ("epoch_s", "epoch_ms"):
        try:
            number = _number(value)
            seconds = number / 1000 if fmt == "epoch_ms" else number
            return _utc_text(datetime.fromtimestamp(seconds, tz=UTC))
        except (OverflowError, OSError, ValueError):
            unit = "milliseconds" if fmt == "epoch_ms" else "seconds"
            raise ValueError(f"{value!r} is not a time in Unix {unit}") from None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date-time text")
    text = value.strip()
    if fmt == "rfc3339":
        if not validate_rfc3339(text.upper()):  # RFC 3339 allows a lowercase t and z
            raise ValueError(f"{value!r} is not an RFC 3339 date-time with offset")
        return _utc_text(datetime.fromisoformat(text.upper().replace("Z", "+00:00")))
    if fmt != "local":
        raise ValueError(f"unknown time format {fmt!r}")
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-").upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time (YYYY-MM-DD HH:MM[:SS])") from None
    if parsed.tzinfo is None:
        parsed = _zone(zone).localize(parsed, is_dst=False)
    return _utc_text(parsed)
