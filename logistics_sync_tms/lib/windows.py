# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Pickup and delivery windows of a shipment request, as plain values (no ORM).

A window starts at an anchor (the transfer's scheduled date for the pickup, its
deadline for the delivery) and lasts a number of hours (the endpoint's default),
unless the place has opening hours (the warehouse's pickup hours, the customer's
delivery hours, local times of the place's time zone): then the window is those
hours on the anchor's local day.  A pickup window starts no earlier than its anchor
(the goods are not ready before; after closing time, the next day's hours); a
delivery window is the customer's receiving hours of the deadline's day.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(tz):
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at(day, hours, zone):
    """``day`` (a date) at ``hours`` (8.5 = 08:30) local time of ``zone``, in naive UTC."""
    minutes = round(hours * 60)
    local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)
    return local.astimezone(UTC).replace(tzinfo=None)


def window(anchor, hours, tz=None, opens=0.0, closes=0.0, clip=True):
    """(start, end) in naive UTC of the window anchored at ``anchor`` (naive UTC).

    Without opening hours (``closes`` not after ``opens``): ``anchor`` to ``anchor``
    + ``hours``.  With them: that day's hours in the zone ``tz``; when ``clip``,
    starting no earlier than ``anchor`` (after closing time, the next day's hours).

    >>> window(datetime(2026, 12, 7, 9, 0), 4)
    (datetime.datetime(2026, 12, 7, 9, 0), datetime.datetime(2026, 12, 7, 13, 0))
    >>> window(datetime(2026, 12, 7, 6, 0), 4, "Europe/Paris", 8.0, 16.0)
    (datetime.datetime(2026, 12, 7, 7, 0), datetime.datetime(2026, 12, 7, 15, 0))
    """
    if not anchor:
        return None
    if not closes > opens:
        return anchor, anchor + timedelta(hours=hours)
    zone = _zone(tz)
    day = anchor.replace(tzinfo=UTC).astimezone(zone).date()
    if clip and anchor >= _at(day, closes, zone):
        day += timedelta(days=1)
    start, end = _at(day, opens, zone), _at(day, closes, zone)
    return (max(start, anchor) if clip else start), end
