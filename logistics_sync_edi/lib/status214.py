# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 214 shipment status set (read by its map) as canonical events (no Odoo).

Each AT7 with a status code (AT7-01) is one event; an AT7 holding only an
appointment (AT7-03) is no status and is skipped.  Status and reason codes go
through the partner's code lists; the event id is the interchange's prefix plus
the set's place and the AT7's (LX loop, AT7 loop), so reading the same file again
gives the same ids and the pipeline's deduplication answers "duplicate".
"""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import EdiApplicationError
from odoo.addons.logistics_sync_base.lib import countries

# X12 element 623 time codes: a zone (daylight saving by date) or a fixed offset
ZONES = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "AT": "America/Halifax",
    "NT": "America/St_Johns",
    "HT": "Pacific/Honolulu",
}
OFFSETS = {"UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7}
OFFSETS.update({"MD": -6, "PS": -8, "PD": -7, "AS": -4, "AD": -3})


def occurred_at(date, time, code, local_zone):
    """RFC 3339 UTC text of an X12 date (CCYYMMDD), time (HHMM[SS]) and time code."""
    moment = datetime.strptime(date + time[:4] + (time[4:6] or "00"), "%Y%m%d%H%M%S")
    if code in OFFSETS:
        zone = timezone(timedelta(hours=OFFSETS[code]))
    else:
        try:
            zone = ZoneInfo(ZONES.get(code) or local_zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
    return moment.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def events(values, *, id_prefix, statuses, reasons, local_zone="UTC"):
    """Canonical events of one 214 set's ``values``; raises EdiApplicationError.

    ``statuses``/``reasons``: the partner's code lists {partner code: canonical}."""
    b10 = values["B10"]
    result = []
    for lx_index, lx in enumerate(values.get("LX", ()), 1):
        for at7_index, loop in enumerate(lx.get("AT7", ()), 1):
            at7 = loop["AT7"]
            status = at7.get("status")
            if not status:
                continue  # an appointment, not a status
            milestone = statuses.get(status)
            if not milestone:
                raise EdiApplicationError(
                    f"Status code {status!r} is not in this partner's code list \"214 shipment "
                    "status\": add it on the partner's EDI tab (code and milestone), then "
                    "reprocess.",
                    position=at7["_position"],
                    segment_id="AT7",
                    element=1,
                )
            reason_code = at7.get("reason") or ""
            if reason_code and reason_code not in reasons:
                raise EdiApplicationError(
                    f"Reason code {reason_code!r} is not in this partner's code list \"214 "
                    "status reason\": add it on the partner's EDI tab, then reprocess.",
                    position=at7["_position"],
                    segment_id="AT7",
                    element=2,
                )
            event = {
                "event_id": f"{id_prefix}{lx_index}.{at7_index}",
                "shipment_ref": b10["shipment_ref"],
                "milestone": milestone,
                "occurred_at": occurred_at(
                    at7["date"], at7["time"], at7.get("time_code") or "LT", local_zone
                ),
                "carrier": b10.get("scac") or None,
                "source_status": "/".join(code for code in (status, reason_code) if code),
            }
            if b10.get("tracking_ref"):
                event["tracking_ref"] = b10["tracking_ref"]
            if reasons.get(reason_code):
                event["reason"] = reasons[reason_code]
            ms1 = loop.get("MS1") or {}
            location = {}
            if ms1.get("city"):
                location["city"] = ms1["city"].title()
            if ms1.get("country"):
                try:
                    location["country"] = countries.to_alpha2(ms1["country"])
                except ValueError:
                    pass  # a country we cannot name: the city still tells where
            if location:
                event["location"] = location
            result.append({key: value for key, value in event.items() if value is not None})
    if not result:
        raise EdiApplicationError(
            "The 214 holds no shipment status (no AT7 with a status code AT7-01).",
            position=b10["_position"],
            segment_id="B10",
        )
    return result
