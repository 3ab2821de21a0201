# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""824 Application Advice values (no Odoo): one OTI loop per transaction set a
partner sent that was valid X12 (our 997 accepted it) but could not be applied,
its TED loop carrying our message and the segment at fault.  Rendered by
``maps/824_004010.json`` (``x12map.render_set``)."""

import re

# 004010 TED01 (647) application error condition: no finer code fits every case
TED_OTHER = "024"
TED_MESSAGE_MAX = 60
# where a set carries the partner's own reference (OTI03): (segment, element)
SET_REFERENCES = {"214": ("B10", 1), "945": ("W06", 2), "990": ("B1", 2), "210": ("B3", 2)}
_UNWRITABLE = re.compile(r"[^ -~]")  # X12 basic/extended printable characters only


def _clean(text, separators="*~>^|:"):
    """``text`` on one line, without separators, at most ``TED_MESSAGE_MAX`` long."""
    text = _UNWRITABLE.sub(" ", " ".join(str(text or "").split()))
    for char in separators:
        text = text.replace(char, " ")
    text = " ".join(text.split())
    if len(text) > TED_MESSAGE_MAX:
        text = text[: TED_MESSAGE_MAX - 3].rstrip() + "..."
    return text


def set_reference(transaction_set):
    """The partner's own reference of ``transaction_set`` (an x12.TransactionSet),
    else its ST02."""
    tag, element = SET_REFERENCES.get(transaction_set.set_id, (None, None))
    for segment in transaction_set.body:
        if segment.tag == tag:
            value = _clean(segment.get(element))[:30]
            if value:
                return value
            break
    return transaction_set.control


def rejected_set(group, transaction_set, errors):
    """One OTI loop: ``transaction_set`` (of ``group``) rejected for ``errors``, each
    a dict with ``message``, ``position`` (in the file), ``segment_id``, ``element``."""
    teds = []
    for error in errors:
        position = error.get("position") or 0
        in_set = position - transaction_set.position + 1 if position else 0
        teds.append(
            {
                "TED": {
                    "code": TED_OTHER,
                    "message": _clean(error.get("message")),
                    "segment_id": error.get("segment_id") or "",
                    "position": str(in_set) if in_set > 0 else "",
                    "element": str(error.get("element") or ""),
                }
            }
        )
    return {
        "OTI": {
            "status": "TR",
            "qualifier": "TN",
            "reference": set_reference(transaction_set),
            "date": group.date,
            "time": group.time,
            "group_control": str(int(group.control)) if group.control.isdigit() else "",
            "set_control": transaction_set.control,
            "set_id": transaction_set.set_id,
        },
        "TED": teds,
    }


def advice_values(reference, when, rejected):
    """The values of one 824: ``reference`` (BGN02: the partner's ISA13 we answer),
    ``when`` (a UTC datetime), ``rejected``: OTI loops of :func:`rejected_set`."""
    return {
        "BGN": {
            "purpose": "00",
            "reference": reference,
            "date": when.strftime("%Y%m%d"),
            "time": when.strftime("%H%M"),
        },
        "OTI": list(rejected),
    }
