# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""ASC X12 envelopes: read a file into interchanges, groups and sets; write them back.

Plain values in, plain values out (no Odoo).  The reader takes its separators from
the ISA header (element separator at position 4, repetition separator ISA11 from
version 00402 on, sub-element separator ISA16, segment terminator after it), reads
several interchanges, groups and transaction sets in one file, and checks the
envelopes: ISA13 = IEA02 and IEA01 = number of groups, GS06 = GE02 and GE01 =
number of sets, ST02 = SE02 and SE01 = number of segments from ST to SE.

Every problem is an :class:`X12Error` with the segment's position in the file
(1-based), its id, the element's position when it is about one element, the code
the acknowledgements use (TA1 note code, AK5/AK9 error codes) and a message a user
can act on.  A file that cannot be read at all (not X12, truncated before the ISA
ends) raises :class:`X12Error`; envelope errors of one interchange, group or set are
collected on it (``errors``) so the other sets of the file are still read and the
997 can say which were accepted.

The writer (:func:`build_interchange`) numbers nothing itself: control numbers are
the caller's (one sequence per partner and direction), counts are computed.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

ISA_LENGTH = 106  # "ISA" + 16 fixed-width elements + 16 separators + terminator
# ISA05/ISA07 interchange ID qualifiers of X12 004010 (code list of element I05)
ID_QUALIFIERS = frozenset(
    {"01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17"}
    | {"18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31"}
    | {"32", "33", "34", "35", "36", "37", "AM", "NR", "SA", "SN", "ZZ"}
)
# TA1 interchange note codes (I18) and 997 AK5/AK9 error codes (718, 716) we use
TA1_CONTROL_MISMATCH = "001"
TA1_SENDER_QUALIFIER = "005"
TA1_SENDER_ID = "006"
TA1_RECEIVER_QUALIFIER = "007"
TA1_RECEIVER_ID = "008"
TA1_GROUP_COUNT = "021"
TA1_END_OF_FILE = "023"
TA1_DUPLICATE = "025"
TA1_TEXT = {
    "000": "no error",
    "001": "the interchange control numbers in the header and trailer do not match",
    "005": "invalid interchange ID qualifier for the sender",
    "006": "invalid interchange sender ID",
    "007": "invalid interchange ID qualifier for the receiver",
    "008": "invalid interchange receiver ID",
    "020": "invalid test indicator value",
    "021": "invalid number of included groups value",
    "022": "invalid control structure",
    "023": "improper (premature) end-of-file",
    "024": "invalid interchange content",
    "025": "duplicate interchange control number",
}
AK5_TRAILER_MISSING = "2"
AK5_CONTROL_MISMATCH = "3"
AK5_SEGMENT_COUNT = "4"
AK5_SEGMENT_ERRORS = "5"
AK5_NOT_SUPPORTED = "1"
AK9_NOT_SUPPORTED = "1"
AK9_TRAILER_MISSING = "3"
AK9_CONTROL_MISMATCH = "4"
AK9_SET_COUNT = "5"


class X12Error(Exception):
    """A problem at a place in an X12 file.

    ``position``: the segment's 1-based index in the file; ``segment_id``: its tag;
    ``element``: the element's 1-based position (None for the whole segment);
    ``code``: the TA1/997 code it is reported with; ``level``: ``interchange``,
    ``group``, ``set``, ``segment`` or ``element``; ``set_position``: the segment's
    position counted from ST = 1 (the AK3's), when it is inside a set."""

    def __init__(
        self,
        message,
        position=None,
        segment_id=None,
        element=None,
        code=None,
        level="interchange",
        set_position=None,
        value=None,
    ):
        super().__init__(message)
        self.message = message
        self.position = position
        self.segment_id = segment_id
        self.element = element
        self.code = code
        self.level = level
        self.set_position = set_position
        self.value = value

    def where(self):
        """ "segment 12 (B10), element 2": the place, for people."""
        if self.position is None:
            return ""
        text = f"segment {self.position}"
        if self.segment_id:
            text += f" ({self.segment_id})"
        if self.element:
            text += f", element {self.element:02d}"
        return text

    def __str__(self):
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self):
        return {
            "message": self.message,
            "position": self.position,
            "segment_id": self.segment_id,
            "element": self.element,
            "code": self.code,
            "level": self.level,
            "set_position": self.set_position,
        }


@dataclass(frozen=True)
class Separators:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str = "^"


@dataclass
class Segment:
    """One segment: ``elements[0]`` is the tag, ``elements[n]`` the n-th element."""

    elements: list
    position: int  # 1-based in the file

    @property
    def tag(self):
        return self.elements[0]

    def get(self, index, default=""):
        return self.elements[index] if index < len(self.elements) else default


@dataclass
class TransactionSet:
    set_id: str  # ST01
    control: str  # ST02
    segments: list  # ST .. SE (SE absent when it is missing)
    index: int  # 1-based within its group
    errors: list = field(default_factory=list)

    @property
    def position(self):
        return self.segments[0].position

    @property
    def body(self):
        """The segments between ST and SE."""
        end = -1 if self.segments and self.segments[-1].tag == "SE" else None
        return self.segments[1:end]


@dataclass
class Group:
    functional_id: str  # GS01
    sender_code: str  # GS02
    receiver_code: str  # GS03
    control: str  # GS06
    version: str  # GS08
    position: int
    date: str = ""
    time: str = ""
    sets: list = field(default_factory=list)
    errors: list = field(default_factory=list)


@dataclass
class Interchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control: str  # ISA13
    version: str  # ISA12
    usage: str  # ISA15: P production, T test
    ack_requested: str  # ISA14
    date: str
    time: str
    separators: Separators
    position: int
    groups: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    segment_count: int = 0
    ta1: list = field(default_factory=list)  # TA1 segments: acknowledgements of ours

    @property
    def sets(self):
        return [ts for group in self.groups for ts in group.sets]

    @property
    def all_errors(self):
        errors = list(self.errors)
        for group in self.groups:
            errors.extend(group.errors)
            for ts in group.sets:
                errors.extend(ts.errors)
        return errors


# ------------------------------------------------------------------------ reading
def _text(data):
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data


def read_separators(isa):
    """The separators of the ISA segment text ``isa`` (at least 106 characters)."""
    if not isa.startswith("ISA"):
        raise X12Error(
            "This is not an X12 file: an X12 interchange begins with an ISA segment.",
            position=1,
            code=TA1_END_OF_FILE,
        )
    if len(isa) < ISA_LENGTH:
        raise X12Error(
            "The file ends inside the ISA header (an ISA segment is 106 characters): "
            "the file is truncated.",
            position=1,
            segment_id="ISA",
            code=TA1_END_OF_FILE,
        )
    element = isa[3]
    if element.isalnum() or element.isspace():
        raise X12Error(
            f"The ISA header's element separator {element!r} is a letter, digit or space: "
            "this is not an X12 interchange header.",
            position=1,
            segment_id="ISA",
        )
    fields_ = isa[:ISA_LENGTH].split(element)
    if len(fields_) != 17:
        raise X12Error(
            f"The ISA header has {len(fields_) - 1} elements instead of 16 (its elements "
            "are fixed-width: the header is damaged).",
            position=1,
            segment_id="ISA",
        )
    component = fields_[16][0:1]
    segment = isa[105]
    repetition = "^"
    if fields_[12] >= "00402" and not fields_[11].isalnum():
        repetition = fields_[11]
    if len({element, component, segment}) < 3:
        raise X12Error(
            "The ISA header uses the same character for two separators.",
            position=1,
            segment_id="ISA",
            element=16,
        )
    return Separators(element, component, segment, repetition)


def split_segments(data):
    """``(separators, [Segment])`` of a whole file (several interchanges allowed)."""
    text = _text(data).lstrip("\ufeff \r\n\t")
    separators = read_separators(text)
    segments = []
    for raw in text.split(separators.segment):
        raw = raw.strip("\r\n \t")
        if not raw:
            continue
        segments.append(Segment(raw.split(separators.element), len(segments) + 1))
    return separators, segments


def parse(data):
    """The interchanges of an X12 file (``bytes`` or ``str``).

    Raises :class:`X12Error` when the file cannot be read; envelope errors of each
    interchange, group and set are in their ``errors``."""
    separators, segments = split_segments(data)
    interchanges = []
    index = 0
    while index < len(segments):
        segment = segments[index]
        if segment.tag != "ISA":
            raise X12Error(
                f"Expected an ISA segment (a new interchange) after the IEA, found "
                f"{segment.tag!r}.",
                position=segment.position,
                segment_id=segment.tag,
            )
        interchange, index = _read_interchange(segments, index, separators)
        interchanges.append(interchange)
    return interchanges


def _isa(segment, separators):
    e = segment.get
    if len(segment.elements) != 17:
        raise X12Error(
            f"The ISA segment has {len(segment.elements) - 1} elements instead of 16.",
            position=segment.position,
            segment_id="ISA",
        )
    interchange = Interchange(
        sender_qualifier=e(5).strip(),
        sender_id=e(6).strip(),
        receiver_qualifier=e(7).strip(),
        receiver_id=e(8).strip(),
        control=e(13).strip(),
        version=e(12).strip(),
        usage=e(15).strip(),
        ack_requested=e(14).strip(),
        date=e(9),
        time=e(10),
        separators=separators,
        position=segment.position,
    )
    for element, qualifier, code, what in (
        (5, interchange.sender_qualifier, TA1_SENDER_QUALIFIER, "sender"),
        (7, interchange.receiver_qualifier, TA1_RECEIVER_QUALIFIER, "receiver"),
    ):
        if qualifier not in ID_QUALIFIERS:
            interchange.errors.append(
                X12Error(
                    f"Unknown interchange ID qualifier {qualifier!r} for the {what} "
                    "(ISA05/ISA07 take codes such as 01 DUNS, 02 SCAC, 12 phone, ZZ mutually "
                    "defined).",
                    position=segment.position,
                    segment_id="ISA",
                    element=element,
                    code=code,
                    value=qualifier,
                )
            )
    if not re.fullmatch(r"\d{9}", interchange.control):
        interchange.errors.append(
            X12Error(
                f"The interchange control number ISA13 {interchange.control!r} is not " "9 digits.",
                position=segment.position,
                segment_id="ISA",
                element=13,
                code="018",
                value=interchange.control,
            )
        )
    return interchange


def _read_children(segments, index, stop, child, read_child, other):
    """The envelopes of one level read from ``index`` up to a segment tagged in
    ``stop`` (the trailer, or what ends the level early): each segment tagged
    ``child`` starts one, read by ``read_child(segments, index, number)`` (number
    counted from 1), any other segment is handed to ``other(segment)``.  Returns
    ``(children, index of the stopping segment)``: the interchange's groups (GS)
    and the group's sets (ST) are read alike."""
    children = []
    while index < len(segments) and segments[index].tag not in stop:
        segment = segments[index]
        if segment.tag != child:
            other(segment)
            index += 1
            continue
        item, index = read_child(segments, index, len(children) + 1)
        children.append(item)
    return children, index


def _read_interchange(segments, index, separators):
    isa = segments[index]
    interchange = _isa(isa, separators)

    def other(segment):
        if segment.tag == "TA1":  # an interchange acknowledgement, before any group
            interchange.ta1.append(segment)
            return
        interchange.errors.append(
            X12Error(
                f"Segment {segment.tag!r} outside a functional group (expected GS or IEA).",
                position=segment.position,
                segment_id=segment.tag,
                code="024",
            )
        )

    interchange.groups, index = _read_children(
        segments, index + 1, ("IEA", "ISA"), "GS", _read_group, other
    )
    if index >= len(segments) or segments[index].tag != "IEA":
        last = segments[index - 1]
        raise X12Error(
            f"The file ends before the IEA trailer of interchange {interchange.control}: "
            "the file is truncated.",
            position=last.position,
            segment_id=last.tag,
            code=TA1_END_OF_FILE,
        )
    iea = segments[index]
    interchange.segment_count = iea.position - isa.position + 1
    if iea.get(2).strip() != interchange.control:
        interchange.errors.append(
            X12Error(
                f"IEA02 {iea.get(2)!r} does not match the interchange control number ISA13 "
                f"{interchange.control!r}.",
                position=iea.position,
                segment_id="IEA",
                element=2,
                code=TA1_CONTROL_MISMATCH,
            )
        )
    if iea.get(1).strip() != str(len(interchange.groups)):
        interchange.errors.append(
            X12Error(
                f"IEA01 says {iea.get(1)!r} functional groups, the interchange holds "
                f"{len(interchange.groups)}.",
                position=iea.position,
                segment_id="IEA",
                element=1,
                code=TA1_GROUP_COUNT,
            )
        )
    return interchange, index + 1


def _read_group(segments, index, _number=None):
    gs = segments[index]
    group = Group(
        functional_id=gs.get(1),
        sender_code=gs.get(2),
        receiver_code=gs.get(3),
        date=gs.get(4),
        time=gs.get(5),
        control=gs.get(6),
        version=gs.get(8),
        position=gs.position,
    )

    def other(segment):
        group.errors.append(
            X12Error(
                f"Segment {segment.tag!r} outside a transaction set (expected ST or GE).",
                position=segment.position,
                segment_id=segment.tag,
                level="group",
            )
        )

    group.sets, index = _read_children(
        segments, index + 1, ("GE", "GS", "IEA", "ISA"), "ST", _read_set, other
    )
    if index >= len(segments) or segments[index].tag != "GE":
        where = segments[min(index, len(segments) - 1)]
        group.errors.append(
            X12Error(
                f"The GE trailer of functional group {group.control} is missing.",
                position=where.position,
                segment_id=where.tag,
                code=AK9_TRAILER_MISSING,
                level="group",
            )
        )
        return group, index
    ge = segments[index]
    if ge.get(2) != group.control:
        group.errors.append(
            X12Error(
                f"GE02 {ge.get(2)!r} does not match the group control number GS06 "
                f"{group.control!r}.",
                position=ge.position,
                segment_id="GE",
                element=2,
                code=AK9_CONTROL_MISMATCH,
                level="group",
            )
        )
    if ge.get(1) != str(len(group.sets)):
        group.errors.append(
            X12Error(
                f"GE01 says {ge.get(1)!r} transaction sets, the group holds {len(group.sets)}.",
                position=ge.position,
                segment_id="GE",
                element=1,
                code=AK9_SET_COUNT,
                level="group",
            )
        )
    return group, index + 1


def _read_set(segments, index, number):
    st = segments[index]
    start = index
    index += 1
    while index < len(segments) and segments[index].tag not in ("SE", "ST", "GE", "IEA", "ISA"):
        index += 1
    transaction_set = TransactionSet(
        set_id=st.get(1), control=st.get(2), segments=segments[start:index], index=number
    )
    if index >= len(segments) or segments[index].tag != "SE":
        transaction_set.errors.append(
            X12Error(
                f"The SE trailer of transaction set {st.get(1)} {st.get(2)} is missing.",
                position=st.position,
                segment_id="ST",
                code=AK5_TRAILER_MISSING,
                level="set",
                set_position=1,
            )
        )
        return transaction_set, index
    se = segments[index]
    transaction_set.segments.append(se)
    count = len(transaction_set.segments)
    if se.get(1) != str(count):
        transaction_set.errors.append(
            X12Error(
                f"SE01 says {se.get(1)!r} segments, transaction set {st.get(2)} holds {count} "
                "(ST and SE included).",
                position=se.position,
                segment_id="SE",
                element=1,
                code=AK5_SEGMENT_COUNT,
                level="set",
                set_position=count,
            )
        )
    if se.get(2) != st.get(2):
        transaction_set.errors.append(
            X12Error(
                f"SE02 {se.get(2)!r} does not match the set control number ST02 {st.get(2)!r}.",
                position=se.position,
                segment_id="SE",
                element=2,
                code=AK5_CONTROL_MISMATCH,
                level="set",
                set_position=count,
            )
        )
    return transaction_set, index + 1


# ------------------------------------------------------------------------ writing
DEFAULT_SEPARATORS = Separators()


@dataclass
class OutSet:
    """A transaction set to write: its id, control number and body segments (lists
    of element values, the tag first; ST and SE are added)."""

    set_id: str
    control: str
    segments: list
    implementation: str = ""  # ST03 (from 005010 on)


@dataclass
class OutGroup:
    functional_id: str
    sender_code: str
    receiver_code: str
    control: str
    version: str = "004010"
    sets: list = field(default_factory=list)


def _check_value(value, separators):
    value = "" if value is None else str(value)
    for char in (separators.element, separators.segment, separators.component):
        if char in value:
            raise ValueError(
                f"the value {value!r} holds the separator {char!r}: it cannot be written"
            )
    return value


def _segment_text(elements, separators):
    while len(elements) > 1 and elements[-1] in ("", None):
        elements = elements[:-1]  # trailing empty elements are left out
    values = []
    for value in elements:
        if isinstance(value, list | tuple):  # a composite element
            values.append(separators.component.join(_check_value(v, separators) for v in value))
        else:
            values.append(_check_value(value, separators))
    return separators.element.join(values) + separators.segment


def build_interchange(
    *,
    sender_qualifier,
    sender_id,
    receiver_qualifier,
    receiver_id,
    control,
    groups,
    version="00401",
    usage="P",
    ack_requested="0",
    when=None,
    separators=DEFAULT_SEPARATORS,
    newline=True,
    ta1=None,
):
    """The text of one interchange.  ``control``: ISA13 (an int or digits);
    ``groups``: :class:`OutGroup`; ``ta1``: TA1 segments (lists) before the groups.
    SE01, GE01 and IEA01 are counted here."""
    when = when or datetime.utcnow()
    sep = separators
    end = "\n" if newline else ""
    control = f"{int(control):09d}"
    repetition = sep.repetition if version >= "00402" else "U"
    isa = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender_qualifier.ljust(2)[:2],
        sender_id.ljust(15)[:15],
        receiver_qualifier.ljust(2)[:2],
        receiver_id.ljust(15)[:15],
        when.strftime("%y%m%d"),
        when.strftime("%H%M"),
        repetition,
        version,
        control,
        ack_requested,
        usage,
        sep.component,
    ]
    out = [sep.element.join(isa) + sep.segment + end]
    for segment in ta1 or ():
        out.append(_segment_text(list(segment), sep) + end)
    for group in groups:
        out.append(
            _segment_text(
                [
                    "GS",
                    group.functional_id,
                    group.sender_code,
                    group.receiver_code,
                    when.strftime("%Y%m%d"),
                    when.strftime("%H%M"),
                    str(int(group.control)),
                    "X",
                    group.version,
                ],
                sep,
            )
            + end
        )
        for out_set in group.sets:
            st = ["ST", out_set.set_id, out_set.control]
            if out_set.implementation:
                st.append(out_set.implementation)
            body = [st, *out_set.segments]
            for segment in body:
                out.append(_segment_text(list(segment), sep) + end)
            out.append(_segment_text(["SE", str(len(body) + 1), out_set.control], sep) + end)
        out.append(_segment_text(["GE", str(len(group.sets)), str(int(group.control))], sep) + end)
    out.append(_segment_text(["IEA", str(len(groups)), control], sep) + end)
    return "".join(out)
