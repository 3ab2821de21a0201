# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""EDIFACT interchanges as plain values (no ORM), through pydifact.

pydifact tokenises and escapes (UNA service string advice, release character,
composites) and serialises segments; this module adds what a partner exchange
needs on top of it:

- ``read_interchange(data)``: the envelope checked (UNB first, UNZ last, every
  UNH closed by its UNT, UNT01 = the message's segment count, UNT02 = UNH01,
  UNZ01 = the number of messages, UNZ02 = UNB05); each problem an
  ``EdifactError`` with the segment's position in the interchange (UNB is 1);
- ``read_iftsta(message, code_list)``: an IFTSTA (D.96A or later: BGM, DTM, NAD,
  CNI, STS, RFF, DTM, LOC) as canonical events (``canonical_event_v1.json``), the
  status codes through a code list (data: ``DEFAULT_STATUS_CODES`` or a partner's);
- ``write_desadv(asn, ...)``: a DESADV (UNB, UNH, BGM, DTM, NAD, CPS, PAC, GIN with
  the SSCC, LIN, QTY, UNT, UNZ) from the 3PL addon's ASN data
  (``logistics_sync_3pl/schemas/asn_v1.json``).
"""

import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError, MissingImplementationWarning
from pydifact.parser import Parser
from pydifact.segments import Segment
from pydifact.serializer import Serializer

# Status codes (data element 9011/4405 in STS, C555) to canonical milestones:
# the EANCOM IFTSTA subset's codes (1 arrived, 6 booked, 13 collected, 21 delivered,
# 31 en route, 49 lost, 54 not collected, 71 receipt acknowledged).  A partner with
# another code list gets its own table on the partner (no code).
DEFAULT_STATUS_CODES = {
    "1": "in_transit",
    "6": "booked",
    "13": "picked_up",
    "21": "delivered",
    "31": "in_transit",
    "49": "exception",
    "54": "delivery_failed",
    "71": "pod_received",
}

# DTM qualifiers (2005) that date a status: 334 status change, 178 actual arrival,
# 133 estimated departure ... the first found in the status group wins.
STATUS_DATE_QUALIFIERS = ("334", "178", "186", "7", "137")
# DTM format qualifiers (2379) understood
DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}


class EdifactError(ValueError):
    """A problem of an EDIFACT file a user can act on; ``position``: the segment's
    number in the interchange (UNB is 1), ``tag`` its tag (None: the whole file)."""

    def __init__(self, message, position=None, tag=None):
        where = f"segment {position} ({tag}): " if position else ""
        super().__init__(f"{where}{message}")
        self.message = message
        self.position = position
        self.tag = tag


@dataclass
class Seg:
    position: int
    tag: str
    elements: list

    def get(self, index, component=0, default=""):
        """Element ``index`` (0-based after the tag), component ``component``."""
        if index >= len(self.elements):
            return default
        value = self.elements[index]
        if isinstance(value, list):
            return value[component] if component < len(value) else default
        return value if component == 0 else default


@dataclass
class Message:
    reference: str
    type: str
    version: str
    segments: list = field(default_factory=list)  # between UNH and UNT
    position: int = 0  # of its UNH


@dataclass
class Interchange:
    sender: str
    recipient: str
    control_reference: str
    prepared: datetime | None
    messages: list = field(default_factory=list)


def _segments(text):
    try:
        with warnings.catch_warnings():
            # pydifact warns for every segment it has no directory for: not a problem
            warnings.simplefilter("ignore", MissingImplementationWarning)
            raw = list(Parser().parse(text))
    except EDISyntaxError as exc:
        raise EdifactError(f"not a readable EDIFACT file: {exc}") from None
    if raw and raw[0].tag == "UNA":
        raw = raw[1:]
    return [Seg(index, seg.tag, list(seg.elements)) for index, seg in enumerate(raw, start=1)]


def _prepared(unb):
    date, time = unb.get(3, 0), unb.get(3, 1)
    try:
        if len(date) == 6:
            return datetime.strptime(date + (time or "0000"), "%y%m%d%H%M")
        if len(date) == 8:
            return datetime.strptime(date + (time or "0000"), "%Y%m%d%H%M")
    except ValueError:
        pass
    raise EdifactError(f"date/time of preparation {date}:{time} is not a date", 1, "UNB")


def read_interchange(data):
    """The interchange of ``data`` (bytes or str) with its envelope checked.

    Raises ``EdifactError`` at the first problem, with its segment position."""
    if isinstance(data, bytes):
        data = data.decode("iso8859-1")
    text = data.strip()
    if not text.startswith(("UNA", "UNB")):
        raise EdifactError("not an EDIFACT interchange (it must start with UNA or UNB)")
    segments = _segments(text)
    unb = segments[0]
    if unb.tag != "UNB":
        raise EdifactError("the interchange must start with UNB", unb.position, unb.tag)
    if len(unb.elements) < 5 or not unb.get(4):
        raise EdifactError("UNB has no interchange control reference (UNB05)", 1, "UNB")
    interchange = Interchange(
        sender=unb.get(1),
        recipient=unb.get(2),
        control_reference=unb.get(4),
        prepared=_prepared(unb),
    )
    last = segments[-1]
    if last.tag != "UNZ":
        raise EdifactError(
            "the interchange has no UNZ trailer (file truncated?)", last.position, last.tag
        )
    message = None
    for seg in segments[1:-1]:
        if seg.tag == "UNH":
            if message is not None:
                raise EdifactError(
                    f"message {message.reference} is not closed by a UNT before the next UNH",
                    seg.position,
                    seg.tag,
                )
            message = Message(
                reference=seg.get(0),
                type=seg.get(1, 0),
                version=f"{seg.get(1, 1)}.{seg.get(1, 2)}",
                position=seg.position,
            )
        elif seg.tag == "UNT":
            if message is None:
                raise EdifactError("UNT without a UNH", seg.position, seg.tag)
            count = len(message.segments) + 2
            if seg.get(0) != str(count):
                raise EdifactError(
                    f"UNT01 says {seg.get(0)} segments, message {message.reference} has {count}",
                    seg.position,
                    seg.tag,
                )
            if seg.get(1) != message.reference:
                raise EdifactError(
                    f"UNT02 {seg.get(1)} does not match UNH01 {message.reference}",
                    seg.position,
                    seg.tag,
                )
            interchange.messages.append(message)
            message = None
        elif seg.tag in ("UNB", "UNZ", "UNG", "UNE"):
            raise EdifactError(
                f"{seg.tag} inside the interchange is not supported here", seg.position, seg.tag
            )
        elif message is None:
            raise EdifactError(
                "segment outside any message (no UNH before it)", seg.position, seg.tag
            )
        else:
            message.segments.append(seg)
    if message is not None:
        raise EdifactError(
            f"message {message.reference} is not closed by a UNT", last.position, last.tag
        )
    if last.get(0) != str(len(interchange.messages)):
        raise EdifactError(
            f"UNZ01 says {last.get(0)} messages, the interchange has {len(interchange.messages)}",
            last.position,
            last.tag,
        )
    if last.get(1) != interchange.control_reference:
        raise EdifactError(
            f"UNZ02 {last.get(1)} does not match UNB05 {interchange.control_reference}",
            last.position,
            last.tag,
        )
    return interchange


def _date(seg):
    """A DTM's date as an RFC 3339 UTC string (``DTM+qualifier:value:format``)."""
    value, fmt = seg.get(0, 1), seg.get(0, 2) or "203"
    pattern = DATE_FORMATS.get(fmt)
    if not pattern:
        raise EdifactError(
            f"date format {fmt} is not supported (102, 203, 204)", seg.position, "DTM"
        )
    try:
        moment = datetime.strptime(value, pattern)
    except ValueError:
        raise EdifactError(f"{value} is not a date of format {fmt}", seg.position, "DTM") from None
    return moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_iftsta(message, id_prefix, code_list=None):
    """The canonical events of an IFTSTA message (one per STS), their ids
    ``id_prefix`` + message reference + STS position (the prefix names the
    interchange: sender and control reference).

    Each event names the consignment (``CNI`` C503 / ``RFF+CN`` / ``RFF+AAS``: the
    shipment reference Odoo knows), its milestone through ``code_list`` (status
    code -> milestone), the date of the status group's DTM, the reason (C556) and
    the LOC's place.  A status code the list does not know is an error (nothing of
    the message is read)."""
    if message.type != "IFTSTA":
        raise EdifactError(
            f"message {message.reference} is a {message.type}, not an IFTSTA",
            message.position,
            "UNH",
        )
    codes = DEFAULT_STATUS_CODES if code_list is None else code_list
    events = []
    consignment = None
    current = None

    def close():
        if current is not None:
            events.append(current)

    for seg in message.segments:
        if seg.tag == "CNI":
            close()
            current = None
            consignment = {"ref": seg.get(1, 0) or seg.get(0), "position": seg.position}
        elif seg.tag == "STS":
            close()
            if consignment is None:
                raise EdifactError("STS before any CNI consignment", seg.position, seg.tag)
            code = seg.get(1, 0)
            if code not in codes:
                raise EdifactError(
                    f"status code {code} is not in the partner's status code list",
                    seg.position,
                    seg.tag,
                )
            current = {
                "event_id": f"{id_prefix}{message.reference}/{seg.position}",
                "shipment_ref": consignment["ref"],
                "milestone": codes[code],
                "source_status": code,
                "_position": seg.position,
            }
            reason = seg.get(2, 3) or seg.get(2, 0)
            if reason:
                current["reason"] = reason
        elif seg.tag == "RFF" and seg.get(0, 0) in ("CN", "AAS", "BM") and seg.get(0, 1):
            if current is None and consignment is not None and not consignment["ref"]:
                consignment["ref"] = seg.get(0, 1)
            elif current is not None and seg.get(0, 0) == "BM":
                current["tracking_ref"] = seg.get(0, 1)
        elif seg.tag == "DTM" and current is not None and "occurred_at" not in current:
            if seg.get(0, 0) in STATUS_DATE_QUALIFIERS:
                current["occurred_at"] = _date(seg)
        elif seg.tag == "LOC" and current is not None:
            place = seg.get(1, 3) or seg.get(1, 0)
            country = seg.get(2, 0) if len(seg.get(2, 0)) == 2 else ""
            location = {}
            if place:
                location["city"] = place
            if country:
                location["country"] = country
            if location:
                current["location"] = location
    close()
    if not events:
        raise EdifactError(
            f"IFTSTA {message.reference} has no status (STS)", message.position, "UNH"
        )
    for event in events:
        if not event["shipment_ref"]:
            raise EdifactError(
                "consignment without a reference (CNI02 or RFF+CN)", event["_position"], "STS"
            )
        if "occurred_at" not in event:
            raise EdifactError("status without a date (DTM+334)", event["_position"], "STS")
    return events


# ------------------------------------------------------------------ DESADV out
def _dtm(qualifier, moment):
    return Segment("DTM", [qualifier, moment.strftime("%Y%m%d%H%M"), "203"])


def _parse_rfc3339(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment


def desadv_message(asn, reference, buyer_gln="", supplier_gln=""):
    """The DESADV segments (UNH to UNT) of an ASN (``asn_v1.json``): one CPS per
    package with its PAC and GIN+BJ (the SSCC-18), its lines (LIN, QTY+12)."""
    shipped = _parse_rfc3339(asn["shipped_at"])
    body = [
        Segment("BGM", "351", asn["asn_id"], "9"),
        _dtm("137", shipped),
        _dtm("11", shipped),
    ]
    refs = asn.get("references") or {}
    if refs.get("order"):
        body.append(Segment("RFF", ["ON", refs["order"]]))
    if refs.get("customer_reference"):
        body.append(Segment("RFF", ["CR", refs["customer_reference"]]))
    ship_to = asn.get("ship_to") or {}
    if buyer_gln:
        body.append(Segment("NAD", "BY", [buyer_gln, "", "9"]))
    if supplier_gln:
        body.append(Segment("NAD", "SU", [supplier_gln, "", "9"]))
    body.append(
        Segment(
            "NAD",
            "DP",
            "",
            "",
            (ship_to.get("name") or "")[:35],
            (ship_to.get("street") or "")[:35],
            (ship_to.get("city") or "")[:35],
            (ship_to.get("state") or "")[:9],
            (ship_to.get("zip") or "")[:9],
            ship_to.get("country") or "",
        )
    )
    if asn.get("carrier"):
        body.append(Segment("TDT", "20", "", "", "", ["", "", "", asn["carrier"][:35]]))
    body.append(Segment("CPS", "1"))
    packages = asn.get("packages") or []
    by_sscc = {}
    for line in asn["lines"]:
        by_sscc.setdefault(line.get("sscc") or "", []).append(line)
    line_no = 0
    for index, package in enumerate(packages, start=2):
        body.append(Segment("CPS", str(index), "1"))
        body.append(Segment("PAC", "1", "", "201"))
        if package.get("weight_kg"):
            body.append(Segment("MEA", "PD", "AAB", ["KGM", f"{package['weight_kg']:g}"]))
        body.append(Segment("PCI", "33E"))
        body.append(Segment("GIN", "BJ", package["sscc"]))
        for line in by_sscc.pop(package["sscc"], []):
            line_no += 1
            body.extend(_lin(line_no, line))
    for line in [row for rows in by_sscc.values() for row in rows]:
        line_no += 1
        body.extend(_lin(line_no, line))
    body.append(Segment("CNT", ["2", str(line_no)]))
    unh = Segment("UNH", reference, ["DESADV", "D", "96A", "UN", "EAN005"])
    unt = Segment("UNT", str(len(body) + 2), reference)
    return [unh, *body, unt]


def _lin(number, line):
    segments = [
        Segment("LIN", str(number), "", [line["sku"], "SA"]),
        Segment("QTY", ["12", f"{line['quantity']:g}", line.get("unit_code") or "PCE"]),
    ]
    if line.get("lot"):
        segments.append(Segment("PCI", "36E"))
        segments.append(Segment("GIN", "BX", line["lot"]))
    return segments


def write_interchange(messages, sender, recipient, control_reference, prepared=None):
    """The bytes of an interchange (UNA, UNB syntax UNOC:3, the messages, UNZ)."""
    prepared = prepared or datetime.now(UTC)
    unb = Segment(
        "UNB",
        ["UNOC", "3"],
        [sender, "14"],
        [recipient, "14"],
        [prepared.strftime("%y%m%d"), prepared.strftime("%H%M")],
        control_reference,
    )
    segments = [unb]
    for message in messages:
        segments.extend(message)
    segments.append(Segment("UNZ", str(len(messages)), control_reference))
    # UNA with a decimal point: our numbers are written with one
    characters = Characters.from_str(":+.? '")
    text = Serializer(characters).serialize(segments, with_una_header=True, break_lines=True)
    return text.encode("iso8859-1")


def write_desadv(asn, sender, recipient, control_reference, prepared=None, **glns):
    """One DESADV for ``asn`` in an interchange of its own (bytes)."""
    message = desadv_message(asn, "1", **glns)
    return write_interchange([message], sender, recipient, control_reference, prepared)
