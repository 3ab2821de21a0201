# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""997 functional acknowledgements and TA1 interchange acknowledgements (no Odoo).

Out: :func:`build_997` writes the body of one 997 for one received functional group:
AK1, then per set AK2 (+ AK3/AK4 for its segment and element errors) and AK5, then
AK9.  A set is accepted (AK5 A) or rejected (AK5 R with its codes); the group is
accepted (A), partially accepted (P) or rejected (R).  Envelope errors of the
interchange itself (ISA/IEA) are not a 997's: :func:`ta1_segment` answers them.

In: :func:`read_997` turns a received 997 set into plain values: per group
acknowledged, its status and the status and errors of each of its sets.
"""

from .x12map import set_error_code

AK5_STATUS = {"A": "accepted", "E": "accepted", "M": "rejected", "R": "rejected"}
AK5_STATUS.update({"W": "rejected", "X": "rejected"})
AK9_STATUS = {"A": "accepted", "E": "accepted", "P": "partial", "R": "rejected", "M": "rejected"}
AK9_STATUS.update({"W": "rejected", "X": "rejected"})
AK5_TEXT = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "23": "duplicate transaction set control number",
}
AK3_TEXT = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
}
AK4_TEXT = {
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
}
AK9_TEXT = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
}


def build_997(group, results):
    """Body segments of the 997 answering ``group`` (a :class:`~.x12.Group`).

    ``results``: ``[(transaction_set, errors)]`` for each set of the group, the
    errors being the X12Errors the set was rejected for (empty: accepted)."""
    segments = [["AK1", group.functional_id, group.control]]
    accepted = 0
    for transaction_set, errors in results:
        segments.append(["AK2", transaction_set.set_id, transaction_set.control])
        for error in errors:
            if error.level == "segment":
                segments.append(
                    ["AK3", error.segment_id, str(error.set_position or ""), "", error.code]
                )
            elif error.level == "element":
                segments.append(
                    ["AK4", str(error.element), "", error.code, (error.value or "")[:99]]
                )
        if errors:
            codes = []
            for error in errors:
                code = error.code if error.level == "set" else set_error_code(errors)
                if code and code not in codes:
                    codes.append(code)
            segments.append(["AK5", "R", *codes[:5]])
        else:
            accepted += 1
            segments.append(["AK5", "A"])
    group_codes = [error.code for error in group.errors if error.code][:5]
    received = len(results)
    if group_codes or (received and not accepted):
        status = "R"
    elif accepted < received:
        status = "P"
    else:
        status = "A"
    segments.append(["AK9", status, str(received), str(received), str(accepted), *group_codes])
    return segments


def ta1_segment(interchange, code, when):
    """The TA1 rejecting ``interchange`` with note code ``code``."""
    return (
        [
            "TA1",
            interchange.control,
            interchange.date,
            interchange.time,
            "R",
            code,
        ]
        if interchange.control
        else ["TA1", "000000000", when.strftime("%y%m%d"), when.strftime("%H%M"), "R", code]
    )


def read_997(transaction_set):
    """The groups a 997 set acknowledges::

    [{"functional_id": "SM", "group_control": "17", "status": "accepted",
      "code": "A", "errors": ["..."], "sets": [{"set_id": "204", "control": "0001",
      "status": "rejected", "errors": ["AK3 N1 at 4: mandatory segment missing", ...]}]}]
    """
    groups, group, current = [], None, None
    for segment in transaction_set.body:
        tag = segment.tag
        if tag == "AK1":
            group = {
                "functional_id": segment.get(1),
                "group_control": segment.get(2),
                "status": None,
                "code": "",
                "errors": [],
                "sets": [],
            }
            groups.append(group)
        elif group is None:
            continue
        elif tag == "AK2":
            current = {"set_id": segment.get(1), "control": segment.get(2), "status": None}
            current["errors"] = []
            group["sets"].append(current)
        elif tag == "AK3" and current is not None:
            code = segment.get(4)
            current["errors"].append(
                f"segment {segment.get(1)} at position {segment.get(2)} of the set: "
                f"{AK3_TEXT.get(code, 'code ' + code)}"
            )
        elif tag == "AK4" and current is not None:
            code = segment.get(3)
            bad = f" ({segment.get(4)!r})" if segment.get(4) else ""
            current["errors"].append(
                f"element {segment.get(1)}: {AK4_TEXT.get(code, 'code ' + code)}{bad}"
            )
        elif tag == "AK5" and current is not None:
            current["status"] = AK5_STATUS.get(segment.get(1), "rejected")
            for code in segment.elements[2:]:
                if code:
                    current["errors"].append(AK5_TEXT.get(code, f"code {code}"))
            current = None
        elif tag == "AK9":
            group["code"] = segment.get(1)
            group["status"] = AK9_STATUS.get(segment.get(1), "rejected")
            for code in segment.elements[5:]:
                if code:
                    group["errors"].append(AK9_TEXT.get(code, f"code {code}"))
    return groups
