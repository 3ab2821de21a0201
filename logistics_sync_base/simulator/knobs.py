# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The knobs every simulator has, and how ``POST /_sim/config`` values are checked.

A simulator extends ``Knobs`` (a dataclass) with its own fields and
``KNOB_PARSERS`` with their parsers.  A parser takes the JSON value and returns
the knob's value, or raises ``ValueError`` with a message for the answer.
"""

import math
import urllib.parse
from dataclasses import dataclass

from .server import is_loopback_host


@dataclass
class Knobs:
    """Everything ``POST /_sim/config`` may change (the outage is kept apart)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder: bool = False
    webhook_url: str | None = None
    webhook_interval: float = 1.0
    webhook_retries: int = 6
    timeout_sleep: float = 15.0


def check_webhook_url(url):
    """An http(s) URL on a loopback host, or a ``ValueError``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_loopback_host(parts.hostname or ""):
        raise ValueError("webhook_url must be an http(s) URL on a loopback host")
    return url


def as_rate(value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("must be a number between 0 and 1")
    return float(value)


def as_non_negative(value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise ValueError("must be a number >= 0")
    return value


def as_positive(value):
    if as_non_negative(value) <= 0:
        raise ValueError("must be a number > 0")
    return float(value)


def as_retries(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
        raise ValueError("must be a whole number between 0 and 20")
    return value


def as_bool(value):
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def as_choice(options):
    def parse(value):
        if value not in options:
            raise ValueError("must be one of " + ", ".join(repr(o) for o in options))
        return value

    return parse


def as_webhook_url(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string or null")
    return check_webhook_url(value)


KNOB_PARSERS = {
    "latency_ms": lambda v: int(as_non_negative(v)),
    "error_rate": as_rate,
    "duplicate_rate": as_rate,
    "reorder": as_bool,
    "webhook_url": as_webhook_url,
    "webhook_interval": as_positive,
    "webhook_retries": as_retries,
    "timeout_sleep": lambda v: float(as_non_negative(v)),
}


def parse_config(data, parsers):
    """``(updates, outage, outage_seconds, errors)`` from a ``/_sim/config`` body.

    ``outage`` (true/false) and ``outage_seconds`` are returned apart (None when
    absent); ``errors`` maps each refused name to its reason.
    """
    data = dict(data)
    updates, errors = {}, {}
    outage = data.pop("outage", None)
    outage_seconds = data.pop("outage_seconds", None)
    for name, value in data.items():
        parse = parsers.get(name)
        if parse is None:
            errors[name] = "unknown setting"
            continue
        try:
            updates[name] = parse(value)
        except ValueError as exc:
            errors[name] = str(exc)
    try:
        outage = None if outage is None else as_bool(outage)
    except ValueError as exc:
        errors["outage"] = str(exc)
    try:
        outage_seconds = None if outage_seconds is None else as_positive(outage_seconds)
    except ValueError as exc:
        errors["outage_seconds"] = str(exc)
    return updates, outage, outage_seconds, errors
