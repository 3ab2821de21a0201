# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Hours in a time zone: plain values in, plain values out."""

from datetime import timedelta

import pytz


def local_hour_start(moment, tz_name):
    """The UTC instant (naive) at which the local hour holding ``moment`` (naive UTC) began.

    In a zone with a half-hour offset the local hour starts at :30 UTC.
    """
    tz = pytz.timezone(tz_name or "UTC")
    local = pytz.utc.localize(moment).astimezone(tz)
    start = local.replace(minute=0, second=0, microsecond=0)
    return start.astimezone(pytz.utc).replace(tzinfo=None)


def hour_range(end, hours, tz_name):
    """``(first, stop)``: the ``hours`` local hours up to and including the one holding
    ``end``, as naive UTC instants (``stop`` excluded)."""
    last = local_hour_start(end, tz_name)
    return last - timedelta(hours=hours - 1), last + timedelta(hours=1)


def local_day(moment, tz_name):
    """The local date of a naive UTC instant."""
    tz = pytz.timezone(tz_name or "UTC")
    return pytz.utc.localize(moment).astimezone(tz).date()
