# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS release as X12 (no Odoo): 204 load tender out, 990 response in.

- ``tender_values(request, operation)``: a 204 (``maps/204_004010.json``) of the
  TMS addon's release request (``static/schemas/tms_shipment_request_v1.json``):
  B2A 00 for version 1, 04 for a later version (a full replacement), 01 for a
  cancellation; stop 1 loads at the shipper in the pickup window (G62 37/38),
  stop 2 unloads at the consignee in the delivery window (G62 53/54), one OID loop
  per line, with its dangerous goods (L5, LH1 UN number and packing group, LH2 class)
  when the line's product has a UN number; the ship-to's state in N4-02;
- ``update_from_990(values, event_id, version)``: a 990 as the TMS addon's
  ``tms_update`` event (accepted or rejected, the reason from K1), so it changes the
  release's state as the TMS's JSON answer does (same checks: unknown release,
  older version, a duplicate answer superseded).  Its ``tms_ref`` is B1-02, the
  204's B2-04 (the release's name, which the 204 gives the release as its TMS
  reference); the carrier's own reference (N9 CN) is the ``load_ref``.
"""

import math
from datetime import UTC, datetime

from .maps_tpl import UNIT_CODES, state_code
from .x12 import X12Error

PURPOSES = {"first": "00", "change": "04", "cancel": "01"}
ACTIONS = {"A": "accepted", "D": "rejected"}


def _number(value):
    text = f"{float(value):.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _moment(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y%m%d"), moment.strftime("%H%M")


def _window(window, first, last):
    rows = []
    for qualifier, key in ((first, "start"), (last, "end")):
        date, time = _moment(window[key])
        rows.append(
            {
                "qualifier": qualifier,
                "date": date,
                "time_qualifier": "I" if key == "start" else "K",
                "time": time,
                "time_code": "UT",
            }
        )
    return rows


def _party(entity, party):
    return {
        "N1": {"entity": entity, "name": party["name"][:60]},
        "N3": [
            {"street": party["street"][:55], "street2": (party.get("street2") or "")[:55] or None}
        ],
        "N4": {
            "city": party["city"][:30],
            "state": state_code(party.get("state")),
            "zip": party.get("zip") or None,
            "country": party["country"],
        },
    }


def _dangerous_goods(number, line, unit):
    """The L5 loop of a release line with a UN number: L5 (the line, the product),
    LH1 (unit, quantity, UN number, packing group), LH2 (the hazard class).  The
    proper shipping name (LH3) is not sent: the product has no field for it."""
    hazmat = {
        "LH1": {
            "unit": unit,
            "quantity": str(math.ceil(line["quantity"])),
            "un_number": f"UN{line['un_number']}",
            "packing_group": line.get("packing_group") or None,
        }
    }
    if line.get("hazard_class"):
        hazmat["LH2"] = [{"hazard_class": line["hazard_class"]}]
    return {
        "L5": {"line": str(number), "description": line["product"][:50]},
        "LH1": [hazmat],
    }


def tender_values(request, operation="send", scac=None, units=None):
    """204 values of a release request; ``operation``: ``send`` or ``cancel``."""
    # one unit code list for every document
    units = UNIT_CODES if units is None else units
    if operation == "cancel":
        purpose = PURPOSES["cancel"]
    else:
        purpose = PURPOSES["first" if request["version"] == 1 else "change"]
    refs = request.get("references") or {}
    header_refs = [{"ref": str(request["version"]), "qualifier": "VR"}]
    if refs.get("order"):
        header_refs.append({"ref": refs["order"][:30], "qualifier": "PO"})
    if refs.get("customer_reference"):
        header_refs.append({"ref": refs["customer_reference"][:30], "qualifier": "CR"})
    weight = _number(request["total_weight_kg"])
    count = sum(line["quantity"] for line in request["lines"])
    oids = []
    for line in request["lines"]:
        unit = units.get(line["unit"])
        if not unit:
            raise ValueError(
                f"the unit {line['unit']!r} has no X12 unit code (add it to the code list)"
            )
        oid = {
            "OID": {
                "ref": (line.get("sku") or line["product"])[:30],
                "po_number": (refs.get("order") or "")[:22] or None,
                "unit": unit,
                "quantity": _number(line["quantity"]),
                "weight_unit": "K",
                "weight": _number(line["weight_kg"]),
            }
        }
        if line.get("dangerous_goods") and line.get("un_number"):
            oid["L5"] = [_dangerous_goods(len(oids) + 1, line, unit)]
        oids.append(oid)
    stops = [
        {
            "S5": {
                "stop": "1",
                "reason": "CL",
                "weight": weight,
                "weight_unit": "K",
                "units": _number(count),
                "unit": "EA",
            },
            "G62": _window(request["pickup_window"], "37", "38"),
            "N1": [_party("SF", request["shipper"])],
            "OID": oids,
        },
        {
            "S5": {
                "stop": "2",
                "reason": "CU",
                "weight": weight,
                "weight_unit": "K",
                "units": _number(count),
                "unit": "EA",
            },
            "G62": _window(request["delivery_window"], "53", "54"),
            "N1": [_party("ST", request["consignee"])],
        },
    ]
    values = {
        "B2": {"scac": scac or None, "shipment_id": request["release_id"][:30]},
        "B2A": {"purpose": purpose},
        "L11": header_refs,
        "S5": stops,
        "L3": {"weight": weight, "weight_qualifier": "G"},
    }
    if request.get("instructions"):
        values["NTE"] = [{"text": request["instructions"][:80]}]
    return values


def update_from_990(values, event_id, version):
    """The ``tms_update`` event of a 990's ``values``; ``version``: the version the
    answer is for when the 990 names none (N9 VR): the last one sent."""
    b1 = values["B1"]
    status = ACTIONS.get(b1["action"])
    if status is None:
        raise X12Error(
            f"B1-04 reservation action code {b1['action']!r} is not A or D.",
            position=b1["_position"],
            segment_id="B1",
            element=4,
        )
    refs = {row["qualifier"]: row["ref"] for row in values.get("N9") or ()}
    if refs.get("VR", "").isdigit():
        version = int(refs["VR"])
    if not version:
        raise X12Error(
            f"No load tender was sent for {b1['shipment_id']}: nothing to answer.",
            position=b1["_position"],
            segment_id="B1",
            element=2,
        )
    date, time = b1["date"], "0000"
    g62 = values.get("G62")
    if g62:
        date, time = g62["date"], (g62.get("time") or "0000")[:4]
    occurred = datetime.strptime(date + time, "%Y%m%d%H%M").strftime("%Y-%m-%dT%H:%M:00Z")
    event = {
        "event_id": event_id,
        "type": "tms_update",
        "shipment_ref": b1["shipment_id"],
        "occurred_at": occurred,
        "status": status,
        "version": version,
        # the 204's B2-04, echoed in B1-02: the release's reference at the carrier
        "tms_ref": b1["shipment_id"],
    }
    if refs.get("CN"):
        event["load_ref"] = refs["CN"][:200]
    if b1.get("scac"):
        event["carrier"] = b1["scac"]
    reason = " ".join(
        part
        for row in values.get("K1") or ()
        for part in (row.get("text"), row.get("text2"))
        if part
    )
    if status == "rejected":
        event["reason"] = reason or "declined by the carrier (990 without remarks)"
    return event
