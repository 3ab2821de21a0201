# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Maps: a transaction set's segments and elements as data, read into plain values
and written back from them (no Odoo).

A map is JSON (``maps/<set>_<version>.json`` of an addon)::

    {"set": "214", "version": "004010", "functional_id": "QM", "name": "...",
     "segments": [
        {"id": "B10", "req": "M", "name": "Beginning segment",
         "elements": [{"pos": 2, "field": "shipment_ref", "req": "M", "type": "AN",
                       "min": 1, "max": 30, "name": "Shipment identification number"}]},
        {"loop": "LX", "req": "M", "max": 999999,
         "segments": [{"id": "LX", ...}, {"id": "AT7", "max": 10, ...}]}]}

A segment node: ``id``, ``req`` (``M`` mandatory or ``O``), ``max`` uses (default 1),
``elements`` (``pos``, ``field``, ``req``, ``type`` AN/ID/DT/TM/N0/R, ``min``/``max``
length, ``codes``: the values the standard allows, when checked).  A loop node:
``loop`` (its name in the values), ``req``, ``max`` and its ``segments``, the first
one starting each repetition.  ST and SE are not in maps (the envelope's).

Read values: ``{"B10": {"shipment_ref": ...}, "LX": [{"LX": {...}, "AT7": [...]}]}``:
a segment used at most once is a dict, one that may repeat a list of dicts, a loop
a list.  Segments the map does not name are skipped (a tolerant reader: guides add
segments a partner never needs); segments out of order are errors (AK3 code 2).
"""

import json
import re
from datetime import datetime

from .x12 import AK5_SEGMENT_ERRORS, X12Error

# 997 AK3 segment syntax error codes (720) and AK4 element codes (723)
AK3_UNEXPECTED = "2"
AK3_MISSING = "3"
AK3_TOO_MANY = "5"
AK3_ELEMENT_ERRORS = "8"
AK4_MISSING = "1"
AK4_TOO_SHORT = "4"
AK4_TOO_LONG = "5"
AK4_INVALID_CHARACTER = "6"
AK4_INVALID_CODE = "7"
AK4_INVALID_DATE = "8"
AK4_INVALID_TIME = "9"

_NUMERIC = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")


def load_map(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _known_tags(nodes, tags=None):
    tags = set() if tags is None else tags
    for node in nodes:
        if "loop" in node:
            _known_tags(node["segments"], tags)
        else:
            tags.add(node["id"])
    return tags


def _repeats(node):
    return node.get("max", 1) > 1


def _element_error(segment, spec, set_position, code, message, value=None):
    return X12Error(
        message,
        position=segment.position,
        segment_id=segment.tag,
        element=spec["pos"],
        code=code,
        level="element",
        set_position=set_position,
        value=value,
    )


def _check_element(segment, spec, value, set_position):
    """The AK4 error of one element value, or None."""
    name = spec.get("name") or spec.get("field") or f"{segment.tag}{spec['pos']:02d}"
    label = f"{segment.tag}{spec['pos']:02d} ({name})"
    if value == "":
        if spec.get("req") == "M":
            return _element_error(
                segment, spec, set_position, AK4_MISSING, f"{label} is mandatory and empty."
            )
        return None
    kind = spec.get("type", "AN")
    length = len(value.lstrip("-").replace(".", "")) if kind in ("N0", "R") else len(value)
    if length < spec.get("min", 0):
        return _element_error(
            segment,
            spec,
            set_position,
            AK4_TOO_SHORT,
            f"{label} {value!r} is shorter than {spec['min']} characters.",
            value,
        )
    if spec.get("max") and length > spec["max"]:
        return _element_error(
            segment,
            spec,
            set_position,
            AK4_TOO_LONG,
            f"{label} {value!r} is longer than {spec['max']} characters.",
            value,
        )
    if kind == "DT":
        try:
            datetime.strptime(value, "%Y%m%d" if len(value) == 8 else "%y%m%d")
        except ValueError:
            return _element_error(
                segment,
                spec,
                set_position,
                AK4_INVALID_DATE,
                f"{label} {value!r} is not a date (CCYYMMDD).",
                value,
            )
    elif kind == "TM":
        valid = value.isdigit() and len(value) in (4, 6, 7, 8)
        if valid:
            valid = int(value[:2]) < 24 and int(value[2:4]) < 60
        if not valid:
            return _element_error(
                segment,
                spec,
                set_position,
                AK4_INVALID_TIME,
                f"{label} {value!r} is not a time (HHMM or HHMMSS).",
                value,
            )
    elif kind == "N0" and not _NUMERIC.fullmatch(value):
        return _element_error(
            segment,
            spec,
            set_position,
            AK4_INVALID_CHARACTER,
            f"{label} {value!r} is not a whole number.",
            value,
        )
    elif kind == "R" and not _DECIMAL.fullmatch(value):
        return _element_error(
            segment,
            spec,
            set_position,
            AK4_INVALID_CHARACTER,
            f"{label} {value!r} is not a number.",
            value,
        )
    if spec.get("codes") and value not in spec["codes"]:
        return _element_error(
            segment,
            spec,
            set_position,
            AK4_INVALID_CODE,
            f"{label} {value!r} is not one of the codes the standard allows here: "
            + ", ".join(spec["codes"]),
            value,
        )
    return None


def _read_segment(segment, node, set_position, errors):
    values = {}
    element_errors = []
    for spec in node.get("elements", ()):
        value = segment.get(spec["pos"]).strip()
        error = _check_element(segment, spec, value, set_position)
        if error:
            element_errors.append(error)
        if spec.get("field"):
            values[spec["field"]] = value
    if element_errors:
        errors.append(
            X12Error(
                f"Segment {segment.tag} has data element errors.",
                position=segment.position,
                segment_id=segment.tag,
                code=AK3_ELEMENT_ERRORS,
                level="segment",
                set_position=set_position,
            )
        )
        errors.extend(element_errors)
    values["_position"] = segment.position
    return values


class _Walker:
    def __init__(self, segments, first_position, known):
        self.segments = segments  # body segments (no ST/SE), unknown tags removed
        self.index = 0
        self.first_position = first_position  # the ST's file position
        self.errors = []
        self.known = known
        self.last_position = first_position  # of the last segment read (ST at first)

    def peek(self):
        return self.segments[self.index] if self.index < len(self.segments) else None

    def set_position(self, segment):
        return segment.position - self.first_position + 1

    def walk(self, nodes, out, loop=False):
        """Read ``nodes`` into ``out``; ``loop``: they are one iteration of a loop,
        whose first segment starts it and is read once (the next one starts the
        next iteration: two N1 loops in a row are N1 N1, never one N1 used twice)."""
        for index, node in enumerate(nodes):
            head = loop and index == 0
            count = 0
            if "loop" in node:
                trigger = node["segments"][0]["id"]
                items = []
                while (segment := self.peek()) is not None and segment.tag == trigger:
                    item = {}
                    self.walk(node["segments"], item, loop=True)
                    items.append(item)
                    count += 1
                if items:
                    out[node["loop"]] = items
                key = node["loop"]
            else:
                key = node["id"]
                while (segment := self.peek()) is not None and segment.tag == node["id"]:
                    values = _read_segment(segment, node, self.set_position(segment), self.errors)
                    if _repeats(node):
                        out.setdefault(key, []).append(values)
                    elif count == 0:
                        out[key] = values
                    count += 1
                    self.index += 1
                    self.last_position = segment.position
                    if head:
                        break  # the loop's first segment: once per iteration
                    if count > node.get("max", 1):
                        self.errors.append(
                            X12Error(
                                f"Segment {key} is used {count} times; the map allows "
                                f"{node.get('max', 1)}.",
                                position=segment.position,
                                segment_id=segment.tag,
                                code=AK3_TOO_MANY,
                                level="segment",
                                set_position=self.set_position(segment),
                            )
                        )
            if count == 0 and node.get("req") == "M":
                # where it was expected: right after the last segment read (the SE's
                # position when the set ends without it), not the ST's or the loop's
                where = self.last_position + 1
                self.errors.append(
                    X12Error(
                        f"The mandatory segment {node.get('id') or node['segments'][0]['id']} "
                        f"({node.get('name') or key}) is missing.",
                        position=where,
                        segment_id=node.get("id") or node["segments"][0]["id"],
                        code=AK3_MISSING,
                        level="segment",
                        set_position=where - self.first_position + 1,
                    )
                )


def read_set(transaction_set, mapping):
    """``(values, errors)`` of a :class:`~.x12.TransactionSet` read with ``mapping``.

    ``errors`` holds the set's envelope errors, then the map's (segment and element
    errors, each with its AK3/AK4 code and its position counted from ST)."""
    known = _known_tags(mapping["segments"])
    body = [segment for segment in transaction_set.body if segment.tag in known]
    st = transaction_set.segments[0]
    walker = _Walker(body, st.position, known)
    values = {}
    walker.walk(mapping["segments"], values)
    while walker.peek() is not None:  # what the walk left: segments out of order
        segment = walker.peek()
        walker.errors.append(
            X12Error(
                f"Segment {segment.tag} is not expected here (out of the order the "
                f"{mapping['set']} guide gives).",
                position=segment.position,
                segment_id=segment.tag,
                code=AK3_UNEXPECTED,
                level="segment",
                set_position=walker.set_position(segment),
            )
        )
        walker.index += 1
    return values, list(transaction_set.errors) + walker.errors


def set_error_code(errors):
    """The AK5 code of a set with ``errors`` (an envelope code, else 5: segment errors)."""
    for error in errors:
        if error.level == "set" and error.code:
            return error.code
    return AK5_SEGMENT_ERRORS


# ------------------------------------------------------------------------ writing
def _render_segment(node, values):
    width = max((spec["pos"] for spec in node.get("elements", ())), default=0)
    elements = [node["id"]] + [""] * width
    for spec in node.get("elements", ()):
        value = values.get(spec["field"]) if spec.get("field") else spec.get("value")
        if value in (None, False, "") and spec.get("value") is not None:
            value = spec["value"]  # a constant of the map (a qualifier)
        if value in (None, False):
            value = ""
        if spec.get("req") == "M" and value == "":
            raise ValueError(
                f"{node['id']}{spec['pos']:02d} ({spec.get('name') or spec.get('field')}) "
                "is mandatory and has no value"
            )
        elements[spec["pos"]] = value
    return elements


def render_set(mapping, values):
    """Body segments (lists, tag first) of ``values`` shaped as :func:`read_set` reads
    them; a segment whose key is absent is left out (a mandatory one is an error)."""
    out = []
    _render(mapping["segments"], values, out)
    return out


def _render(nodes, values, out):
    for node in nodes:
        key = node.get("loop") or node["id"]
        value = values.get(key)
        if value in (None, [], {}):
            if node.get("req") == "M":
                raise ValueError(
                    f"the mandatory {'loop' if 'loop' in node else 'segment'} {key} has no values"
                )
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if "loop" in node:
                _render(node["segments"], item, out)
            else:
                out.append(_render_segment(node, item))
