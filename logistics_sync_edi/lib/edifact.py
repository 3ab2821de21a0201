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


# Syntax error codes (0085) a CONTRL reports, UN/EDIFACT service code list (syntax
# version 3, as in the EANCOM 2002 CONTRL guide); the texts users read.
SYNTAX_ERRORS = {
    "2": "syntax version or level not supported",
    "7": "interchange recipient not actual recipient",
    "12": "invalid value",
    "13": "missing",
    "14": "value not supported in this position",
    "15": "not supported in this position",
    "16": "too many constituents",
    "17": "no agreement",
    "18": "unspecified error",
    "21": "invalid character(s)",
    "22": "invalid service character(s)",
    "23": "unknown interchange sender",
    "25": "test indicator not supported",
    "26": "duplicate detected",
    "28": "references do not match",
    "29": "control count does not match number of instances received",
    "30": "functional groups and messages mixed",
    "35": "too many repetitions",
    "37": "invalid type of character(s)",
    "39": "data element too long",
    "40": "data element too short",
}
SYNTAX_INVALID, SYNTAX_MISSING, SYNTAX_NOT_SUPPORTED, SYNTAX_POSITION = "12", "13", "14", "15"
SYNTAX_UNKNOWN_SENDER, SYNTAX_DUPLICATE, SYNTAX_REFERENCES, SYNTAX_COUNT = "23", "26", "28", "29"
# Action codes (0083): 4 this level and all lower levels rejected; 7 this level
# acknowledged, lower levels acknowledged unless explicitly rejected; 8 received
ACTION_REJECTED, ACTION_ACKNOWLEDGED, ACTION_RECEIVED = "4", "7", "8"
ACTION_TEXT = {"4": "rejected", "7": "acknowledged", "8": "received"}
CONTRL_IDENTIFIER = ["CONTRL", "D", "3", "UN"]


class EdifactError(ValueError):
    """A problem of an EDIFACT file a user can act on; ``position``: the segment's
    number in the interchange (UNB is 1), ``tag`` its tag (None: the whole file).

    What a CONTRL reports of it: ``code`` the syntax error (0085, ``SYNTAX_ERRORS``),
    ``element`` the erroneous data element's position in the segment (S011:
    ``"3"`` or ``"3:1"``, the tag being position 1), ``service_tag`` the service
    segment it concerns when it is not ``tag`` (a missing UNZ, UNT...)."""

    def __init__(self, message, position=None, tag=None, code=None, element=None,
                 service_tag=None):  # fmt: skip
        where = f"segment {position} ({tag}): " if position else ""
        super().__init__(f"{where}{message}")
        self.message = message
        self.position = position
        self.tag = tag
        self.code = code
        self.element = element
        self.service_tag = service_tag or tag


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

    def composite(self, index):
        """Element ``index`` as a list of its components."""
        if index >= len(self.elements):
            return []
        value = self.elements[index]
        return list(value) if isinstance(value, list) else [value]


@dataclass
class Message:
    reference: str
    type: str
    version: str
    segments: list = field(default_factory=list)  # between UNH and UNT
    position: int = 0  # of its UNH
    identifier: list = field(default_factory=list)  # UNH's S009, as received
    errors: list = field(default_factory=list)  # EdifactErrors of its UNH/UNT


@dataclass
class Interchange:
    sender: str
    recipient: str
    control_reference: str
    prepared: datetime | None
    messages: list = field(default_factory=list)
    sender_composite: list = field(default_factory=list)  # S002 as received
    recipient_composite: list = field(default_factory=list)  # S003 as received
    errors: list = field(default_factory=list)  # EdifactErrors of UNB/UNZ and around


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
    raise EdifactError(
        f"date/time of preparation {date}:{time} is not a date", 1, "UNB", SYNTAX_INVALID, "5"
    )


def parse_interchange(data):
    """The interchange of ``data`` (bytes or str), every envelope problem recorded
    rather than raised: on the interchange (``errors``: UNB, UNZ, segments outside
    messages) or on its message (``Message.errors``: UNH/UNT), each an
    ``EdifactError`` with its segment position and syntax error code.

    Raises ``EdifactError`` only when there is no interchange to answer (not
    EDIFACT, no UNB, no control reference)."""
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
        prepared=None,
        sender_composite=unb.composite(1),
        recipient_composite=unb.composite(2),
    )
    errors = interchange.errors
    try:
        interchange.prepared = _prepared(unb)
    except EdifactError as exc:
        errors.append(exc)
    last = segments[-1]
    body = segments[1:]
    if last.tag == "UNZ":
        body = segments[1:-1]
    else:
        errors.append(
            EdifactError(
                "the interchange has no UNZ trailer (file truncated?)",
                last.position,
                last.tag,
                SYNTAX_MISSING,
                service_tag="UNZ",
            )
        )
    message = None
    for seg in body:
        if seg.tag == "UNH":
            if message is not None:
                message.errors.append(
                    EdifactError(
                        f"message {message.reference} is not closed by a UNT before the next "
                        "UNH",
                        seg.position,
                        seg.tag,
                        SYNTAX_MISSING,
                        service_tag="UNT",
                    )
                )
                interchange.messages.append(message)
            message = Message(
                reference=seg.get(0),
                type=seg.get(1, 0),
                version=f"{seg.get(1, 1)}.{seg.get(1, 2)}",
                position=seg.position,
                identifier=seg.composite(1),
            )
        elif seg.tag == "UNT":
            if message is None:
                errors.append(
                    EdifactError("UNT without a UNH", seg.position, seg.tag, SYNTAX_POSITION)
                )
                continue
            count = len(message.segments) + 2
            if seg.get(0) != str(count):
                message.errors.append(
                    EdifactError(
                        f"UNT01 says {seg.get(0)} segments, message {message.reference} has "
                        f"{count}",
                        seg.position,
                        seg.tag,
                        SYNTAX_COUNT,
                        "2",
                    )
                )
            if seg.get(1) != message.reference:
                message.errors.append(
                    EdifactError(
                        f"UNT02 {seg.get(1)} does not match UNH01 {message.reference}",
                        seg.position,
                        seg.tag,
                        SYNTAX_REFERENCES,
                        "3",
                    )
                )
            interchange.messages.append(message)
            message = None
        elif seg.tag in ("UNB", "UNZ", "UNG", "UNE"):
            errors.append(
                EdifactError(
                    f"{seg.tag} inside the interchange is not supported here",
                    seg.position,
                    seg.tag,
                    SYNTAX_POSITION,
                )
            )
        elif message is None:
            errors.append(
                EdifactError(
                    "segment outside any message (no UNH before it)",
                    seg.position,
                    seg.tag,
                    SYNTAX_POSITION,
                )
            )
        else:
            message.segments.append(seg)
    if message is not None:
        message.errors.append(
            EdifactError(
                f"message {message.reference} is not closed by a UNT",
                last.position,
                last.tag,
                SYNTAX_MISSING,
                service_tag="UNT",
            )
        )
        interchange.messages.append(message)
    if last.tag == "UNZ":
        if last.get(0) != str(len(interchange.messages)):
            errors.append(
                EdifactError(
                    f"UNZ01 says {last.get(0)} messages, the interchange has "
                    f"{len(interchange.messages)}",
                    last.position,
                    last.tag,
                    SYNTAX_COUNT,
                    "2",
                )
            )
        if last.get(1) != interchange.control_reference:
            errors.append(
                EdifactError(
                    f"UNZ02 {last.get(1)} does not match UNB05 {interchange.control_reference}",
                    last.position,
                    last.tag,
                    SYNTAX_REFERENCES,
                    "3",
                )
            )
    return interchange


def envelope_errors(interchange):
    """Every envelope error of ``interchange`` (its own and its messages'), in the
    order of their positions."""
    found = list(interchange.errors)
    for message in interchange.messages:
        found.extend(message.errors)
    return sorted(found, key=lambda error: error.position or 0)


def read_interchange(data):
    """The interchange of ``data`` (bytes or str) with its envelope checked.

    Raises ``EdifactError`` at the first problem, with its segment position."""
    interchange = parse_interchange(data)
    errors = envelope_errors(interchange)
    if errors:
        raise errors[0]
    return interchange


def _date(seg):
    """A DTM's date as an RFC 3339 UTC string (``DTM+qualifier:value:format``)."""
    value, fmt = seg.get(0, 1), seg.get(0, 2) or "203"
    pattern = DATE_FORMATS.get(fmt)
    if not pattern:
        raise EdifactError(
            f"date format {fmt} is not supported (102, 203, 204)",
            seg.position,
            "DTM",
            SYNTAX_NOT_SUPPORTED,
            "2:3",
        )
    try:
        moment = datetime.strptime(value, pattern)
    except ValueError:
        raise EdifactError(
            f"{value} is not a date of format {fmt}", seg.position, "DTM", SYNTAX_INVALID, "2:2"
        ) from None
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
            SYNTAX_NOT_SUPPORTED,
            "3:1",
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
                raise EdifactError(
                    "STS before any CNI consignment", seg.position, seg.tag, SYNTAX_POSITION
                )
            code = seg.get(1, 0)
            if code not in codes:
                raise EdifactError(
                    f"status code {code} is not in the partner's status code list",
                    seg.position,
                    seg.tag,
                    SYNTAX_INVALID,
                    "3:1",
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
            f"IFTSTA {message.reference} has no status (STS)",
            message.position,
            "UNH",
            SYNTAX_MISSING,
            service_tag="STS",
        )
    for event in events:
        if not event["shipment_ref"]:
            raise EdifactError(
                "consignment without a reference (CNI02 or RFF+CN)",
                event["_position"],
                "STS",
                SYNTAX_MISSING,
                service_tag="CNI",
            )
        if "occurred_at" not in event:
            raise EdifactError(
                "status without a date (DTM+334)",
                event["_position"],
                "STS",
                SYNTAX_MISSING,
                service_tag="DTM",
            )
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


def write_interchange(
    messages, sender, recipient, control_reference, prepared=None, ack_request=False
):
    """The bytes of an interchange (UNA, UNB syntax UNOC:3, the messages, UNZ);
    ``ack_request``: UNB09 = 1, the partner is asked for a CONTRL."""
    prepared = prepared or datetime.now(UTC)
    unb = Segment(
        "UNB",
        ["UNOC", "3"],
        [sender, "14"],
        [recipient, "14"],
        [prepared.strftime("%y%m%d"), prepared.strftime("%H%M")],
        control_reference,
        *(["", "", "", "1"] if ack_request else []),
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


# ------------------------------------------------------------------ CONTRL
def _error_elements(error):
    """The ``0085, 0013, S011`` elements of a UCI/UCM reporting ``error``."""
    if error is None:
        return []
    elements = [error.code or "18", error.service_tag or ""]
    if error.element:
        elements.append(str(error.element).split(":"))
    return elements


def contrl_message(interchange, reference, interchange_error=None, message_errors=None):
    """The CONTRL segments (UNH to UNT) answering ``interchange`` (its UNB copied
    into the UCI), after the UN/EDIFACT CONTRL message (syntax version 3, D:3:UN).

    ``interchange_error``: the EdifactError rejecting the whole interchange (UCI
    action 4 with its code, service segment and element; no UCM then).  Else the
    UCI acknowledges (7) and each message gets a UCM: acknowledged (7), or rejected
    (4) with the code of its UNH/UNT error, or with a UCS (the segment's position
    in the message, UNH being 1) and a UCD (the element) for an error of its body.
    ``message_errors``: {message reference: [EdifactError]} (errors of the body
    besides the message's own envelope errors)."""
    message_errors = message_errors or {}
    uci = [
        interchange.control_reference,
        interchange.sender_composite or [interchange.sender],
        interchange.recipient_composite or [interchange.recipient],
    ]
    body = []
    if interchange_error is not None:
        body.append(Segment("UCI", *uci, ACTION_REJECTED, *_error_elements(interchange_error)))
    else:
        body.append(Segment("UCI", *uci, ACTION_ACKNOWLEDGED))
        for message in interchange.messages:
            identifier = (message.identifier or [message.type])[:5]
            envelope = message.errors[:1]
            inside = [
                error
                for error in message_errors.get(message.reference, [])
                if error.position and error.tag not in ("UNH", "UNT")
            ]
            outer = (
                envelope
                or [
                    error
                    for error in message_errors.get(message.reference, [])
                    if error not in inside
                ][:1]
            )
            if outer:
                body.append(
                    Segment(
                        "UCM",
                        message.reference,
                        identifier,
                        ACTION_REJECTED,
                        *_error_elements(outer[0]),
                    )
                )
                continue
            if not inside:
                body.append(Segment("UCM", message.reference, identifier, ACTION_ACKNOWLEDGED))
                continue
            body.append(Segment("UCM", message.reference, identifier, ACTION_REJECTED))
            for error in inside[:999]:
                position = str(error.position - message.position + 1)
                if error.element:
                    body.append(Segment("UCS", position))
                    body.append(Segment("UCD", error.code or "18", str(error.element).split(":")))
                else:
                    body.append(Segment("UCS", position, error.code or "18"))
    unh = Segment("UNH", reference, list(CONTRL_IDENTIFIER))
    unt = Segment("UNT", str(len(body) + 2), reference)
    return [unh, *body, unt]


def _syntax_text(code):
    return SYNTAX_ERRORS.get(code, f"syntax error {code}") if code else ""


def _where(tag, element):
    parts = [tag] if tag else []
    if element:
        parts.append(f"element {element}")
    return " ".join(parts)


def read_contrl(message):
    """What a CONTRL message says of the interchange it answers::

    {"control_reference": "000000007", "sender": "4012345000009", "action": "4",
     "status": "rejected", "errors": ["UNZ element 2: control count does not ..."],
     "messages": [{"reference": "1", "type": "DESADV", "action": "4",
                   "status": "rejected", "errors": ["segment 7: invalid value ..."]}]}

    ``status``: accepted (7, or 8 received), rejected (4); a UCI acknowledging an
    interchange with a message rejected makes it ``partial`` (all rejected:
    ``rejected``)."""
    if message.type != "CONTRL":
        raise EdifactError(
            f"message {message.reference} is a {message.type}, not a CONTRL",
            message.position,
            "UNH",
            SYNTAX_NOT_SUPPORTED,
            "3:1",
        )
    report, current, segment_at = None, None, None
    for seg in message.segments:
        if seg.tag == "UCI":
            report = {
                "control_reference": seg.get(0),
                "sender": seg.get(1, 0),
                "recipient": seg.get(2, 0),
                "action": seg.get(3),
                "errors": [],
                "messages": [],
                "position": seg.position,
            }
            if seg.get(4):
                report["errors"].append(
                    f"{_where(seg.get(5), ':'.join(seg.composite(6)))}: "
                    f"{_syntax_text(seg.get(4))} (code {seg.get(4)})".lstrip(": ")
                )
        elif report is None:
            raise EdifactError("CONTRL without a UCI first", seg.position, seg.tag, SYNTAX_POSITION)
        elif seg.tag == "UCM":
            current = {
                "reference": seg.get(0),
                "type": seg.get(1, 0),
                "action": seg.get(2),
                "errors": [],
            }
            if seg.get(3):
                current["errors"].append(
                    f"{_where(seg.get(4), ':'.join(seg.composite(5)))}: "
                    f"{_syntax_text(seg.get(3))} (code {seg.get(3)})".lstrip(": ")
                )
            report["messages"].append(current)
        elif seg.tag == "UCS" and current is not None:
            segment_at = seg.get(0)
            if seg.get(1):
                current["errors"].append(
                    f"segment {segment_at} of the message: {_syntax_text(seg.get(1))} "
                    f"(code {seg.get(1)})"
                )
        elif seg.tag == "UCD" and current is not None:
            current["errors"].append(
                f"segment {segment_at} of the message, element "
                f"{':'.join(seg.composite(1))}: {_syntax_text(seg.get(0))} (code {seg.get(0)})"
            )
    if report is None:
        raise EdifactError(
            f"CONTRL {message.reference} has no UCI", message.position, "UNH", SYNTAX_MISSING,
            service_tag="UCI",
        )  # fmt: skip
    for item in report["messages"]:
        item["status"] = "rejected" if item["action"] == ACTION_REJECTED else "accepted"
    if report["action"] not in ACTION_TEXT:
        raise EdifactError(
            f"UCI action {report['action']!r} is not a CONTRL action (4, 7 or 8)",
            report["position"],
            "UCI",
            SYNTAX_INVALID,
            "5",
        )
    if report["action"] == ACTION_REJECTED:
        report["status"] = "rejected"
    else:
        rejected = [m for m in report["messages"] if m["status"] == "rejected"]
        if not rejected:
            report["status"] = "accepted"
        elif len(rejected) == len(report["messages"]):
            report["status"] = "rejected"
        else:
            report["status"] = "partial"
    return report
