# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL addon's documents as X12 (no Odoo): 940 out, 945 in, 856 out.

- ``shipping_order_values(doc, operation)``: the values of a 940
  (``maps/940_004010.json``) for a shipping order of ``logistics_sync_3pl``
  (``schemas/shipping_order_v1.json``): W05 N original, R a new version (a full
  replacement), F a cancellation;
- ``confirmation_from_945(values, event_id)``: a 945 read with
  ``maps/945_004010.json`` as the 3PL addon's ``tpl_shipping_confirmation`` event
  (``schemas/tpl_shipping_confirmation_v1.json``), so it is applied by the same code
  as the JSON confirmation (short pick -> backorder, lots, packages, refusals as
  dead letters, never applied twice).  W06-01 F (final) cancels what was not
  shipped, P (partial) leaves it as a backorder; W03-01 must equal the units of
  the W12s (a wrong count is an error at the W03, nothing applied);
- ``asn_values(asn)``: the values of an 856 (``maps/856_004010.json``) for an
  advance ship notice (``schemas/asn_v1.json``): shipment, order, one pack level
  per package (MAN GM with its SSCC-18), its items.
"""

from datetime import UTC, datetime

from .x12 import X12Error

# Odoo units of measure (by name) to X12 unit codes (element 355); data a partner
# may extend through the endpoint's unit code list
UNIT_CODES = {
    "Units": "EA",
    "Unit": "EA",
    "Dozens": "DZ",
    "kg": "KG",
    "g": "GR",
    "lb": "LB",
    "oz": "OZ",
    "L": "LT",
    "m": "MR",
    "Pallets": "PL",
    "Boxes": "BX",
    "Cases": "CA",
}
ORDER_STATUS = {"send_first": "N", "send": "R", "cancel": "F"}
# W06-01 reporting code -> cancel_remaining of the confirmation
REPORTING_CODES = {"F": True, "P": False}


def _number(value):
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text or "0"


def state_code(code):
    """N4-02 (element 156, ID 2/2): the state or province code of a US or Canadian
    address; a code of another length (some countries' subdivisions) is left out."""
    return code if code and len(code) == 2 else None


def _unit(name, units):
    code = units.get(name)
    if not code:
        raise ValueError(f"the unit {name!r} has no X12 unit code (add it to the code list)")
    return code


def _date_time(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y%m%d"), moment.strftime("%H%M")


def shipping_order_values(doc, operation="send", units=None):
    """940 values of a shipping order ``doc``; ``operation``: ``send`` (version 1:
    W05 N, later ones: R) or ``cancel`` (W05 F, the last version's lines again)."""
    units = UNIT_CODES if units is None else units
    if operation == "cancel":
        status = ORDER_STATUS["cancel"]
    else:
        status = ORDER_STATUS["send_first" if doc["version"] == 1 else "send"]
    party = doc.get("party") or {}
    refs = doc.get("references") or {}
    ship_to = {
        "N1": {"entity": "ST", "name": party.get("name") or ""},
        "N3": {"street": party["street"], "street2": party.get("street2")}
        if party.get("street")
        else None,
        "N4": {
            "city": party.get("city"),
            "state": state_code(party.get("state")),
            "zip": party.get("zip"),
            "country": party.get("country"),
        }
        if party.get("city") or party.get("zip")
        else None,
    }
    values = {
        "W05": {
            "order_status": status,
            "depositor_order": doc["document_id"],
            "po_number": (refs.get("order") or "")[:22] or None,
        },
        "N1": [
            {k: v for k, v in ship_to.items() if v},
            {
                "N1": {
                    "entity": "WH",
                    "name": doc["warehouse"],
                    "id_qualifier": "91",
                    "id": doc["warehouse"],
                }
            },
        ],
        "N9": [{"qualifier": "VR", "ref": str(doc["version"])}],
        "W66": {"routing": (doc.get("carrier") or "")[:35] or None},
        "LX": [],
    }
    if refs.get("origin"):
        values["N9"].append({"qualifier": "OQ", "ref": refs["origin"][:30]})
    if doc.get("scheduled_date"):
        date, time = _date_time(doc["scheduled_date"])
        values["G62"] = [{"qualifier": "10", "date": date, "time_qualifier": "Y", "time": time}]
    total = 0.0
    for number, line in enumerate(doc["lines"], start=1):
        total += line["quantity"]
        item = {
            "LX": {"number": str(number)},
            "W01": {
                "quantity": _number(line["quantity"]),
                "unit": _unit(line["unit"], units),
                "sku": line["sku"],
            },
            "G69": [{"description": line["product"][:45]}] if line.get("product") else None,
            "N9": [{"qualifier": "LI", "ref": str(line["line_id"])}],
        }
        values["LX"].append({k: v for k, v in item.items() if v})
    values["W76"] = {"total_quantity": _number(total)}
    return values


def _refs(rows, qualifier):
    return [row["ref"] for row in rows or () if row.get("qualifier") == qualifier]


def _float(value, segment):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise X12Error(
            f"{value!r} is not a quantity.", position=segment.get("_position"), segment_id="W12"
        ) from None


def confirmation_from_945(values, event_id):
    """The ``tpl_shipping_confirmation`` event of a 945's ``values`` (as
    ``x12map.read_set`` reads them with ``maps/945_004010.json``)."""
    w06 = values["W06"]
    cancel = REPORTING_CODES.get(w06["reporting_code"])
    if cancel is None:
        raise X12Error(
            f"W06-01 reporting code {w06['reporting_code']!r} is not F or P.",
            position=w06["_position"],
            segment_id="W06",
            element=1,
        )
    date, time = w06["date"], "0000"
    for row in values.get("G62") or ():
        if row.get("qualifier") == "11":
            date, time = row["date"], (row.get("time") or "0000")[:4]
    shipped_at = datetime.strptime(date + time, "%Y%m%d%H%M").strftime("%Y-%m-%dT%H:%M:00Z")
    tracking = (_refs(values.get("N9"), "CN") or _refs(values.get("N9"), "BM") or [None])[0]
    w27 = values.get("W27") or {}
    carrier = (w27.get("routing") or w27.get("scac") or None) and (
        w27.get("routing") or w27.get("scac")
    )[:64]
    lines, packages, total = [], {}, 0.0
    for item in values.get("LX") or ():
        w12 = item["W12"]
        quantity = _float(w12["shipped"], w12)
        total += quantity
        row = {"sku": w12["sku"], "quantity": quantity}
        line_ids = _refs(item.get("N9"), "LI")
        if line_ids and line_ids[0].isdigit():
            row["line_id"] = int(line_ids[0])
        lot = w12.get("lot") or (_refs(item.get("N9"), "LT") or [None])[0]
        if lot:
            row["lot"] = lot
        ssccs = [m["sscc"] for m in item.get("MAN") or () if m.get("qualifier") == "GM"]
        if ssccs:
            sscc = ssccs[0][-18:] if ssccs[0].startswith("00") and len(ssccs[0]) == 20 else ssccs[0]
            row["package"] = sscc
            package = packages.setdefault(sscc, {"sscc": sscc})
            if tracking:
                package["tracking_ref"] = tracking
            if carrier:
                package["carrier"] = carrier
        lines.append(row)
    w03 = values["W03"]
    declared = _float(w03["total_units"], w03)
    if abs(declared - total) > 1e-6:
        raise X12Error(
            f"W03-01 says {_number(declared)} units shipped, the W12 lines hold {_number(total)}.",
            position=w03["_position"],
            segment_id="W03",
            element=1,
        )
    event = {
        "event_id": event_id,
        "type": "tpl_shipping_confirmation",
        "shipment_ref": w06["depositor_order"],
        "occurred_at": shipped_at,
        "shipped_at": shipped_at,
        "cancel_remaining": cancel,
        "lines": lines,
        "packages": list(packages.values()),
    }
    versions = _refs(values.get("N9"), "VR")
    if versions and versions[0].isdigit() and int(versions[0]) >= 1:
        event["document_version"] = int(versions[0])
    return event


def asn_values(asn, units=None):
    """856 values of an advance ship notice ``asn`` (``schemas/asn_v1.json``): the
    shipment (HL S: packages, weight, carrier, tracking, ship-to), the order (HL O:
    the customer's reference), one pack (HL P: MAN GM 00 + SSCC-18) per package
    and its items (HL I: LIN SK with the lot, SN1 quantity)."""
    units = UNIT_CODES if units is None else units
    date, time = _date_time(asn["shipped_at"])
    refs = asn.get("references") or {}
    ship_to = asn.get("ship_to") or {}
    packages = asn.get("packages") or []
    weight = sum(p.get("weight_kg") or 0.0 for p in packages)
    shipment = {
        "HL": {"id": "1", "level": "S"},
        "TD1": [
            {
                "lading_quantity": str(len(packages)),
                "weight_qualifier": "G" if weight else None,
                "weight": _number(weight) if weight else None,
                "weight_unit": "KG" if weight else None,
            }
        ],
        "N1": [
            {
                "N1": {"entity": "ST", "name": ship_to.get("name") or ""},
                "N3": [{"street": ship_to["street"], "street2": ship_to.get("street2")}]
                if ship_to.get("street")
                else None,
                "N4": {
                    "city": ship_to.get("city"),
                    "state": state_code(ship_to.get("state")),
                    "zip": ship_to.get("zip"),
                    "country": ship_to.get("country"),
                }
                if ship_to.get("city") or ship_to.get("zip")
                else None,
            }
        ],
    }
    if asn.get("carrier"):
        shipment["TD5"] = [{"routing": asn["carrier"][:35]}]
    if asn.get("tracking_ref"):
        shipment["REF"] = [{"qualifier": "CN", "ref": asn["tracking_ref"][:30]}]
    shipment["N1"] = [{k: v for k, v in party.items() if v} for party in shipment["N1"]]
    levels = [shipment]
    order = {"HL": {"id": "2", "parent": "1", "level": "O"}}
    if refs.get("customer_reference") or refs.get("order"):
        order["PRF"] = {"po_number": (refs.get("customer_reference") or refs["order"])[:22]}
    if refs.get("order"):
        order["REF"] = [{"qualifier": "ON", "ref": refs["order"][:30]}]
    levels.append(order)
    by_sscc = {}
    for line in asn["lines"]:
        by_sscc.setdefault(line.get("sscc") or "", []).append(line)

    def item(line, parent):
        levels.append(
            {
                "HL": {"id": str(len(levels) + 1), "parent": parent, "level": "I"},
                "LIN": {
                    "sku": line["sku"],
                    "lot_qualifier": "LT" if line.get("lot") else None,
                    "lot": line.get("lot"),
                },
                "SN1": {
                    "quantity": _number(line["quantity"]),
                    "unit": _unit(line.get("unit") or "Units", units),
                },
            }
        )

    for package in packages:
        pack_id = str(len(levels) + 1)
        levels.append(
            {
                "HL": {"id": pack_id, "parent": "2", "level": "P"},
                "MAN": [{"sscc": "00" + package["sscc"]}],
            }
        )
        for line in by_sscc.pop(package["sscc"], []):
            item(line, pack_id)
    for line in [row for rows in by_sscc.values() for row in rows]:
        item(line, "2")
    return {
        "BSN": {"shipment_id": asn["asn_id"][:30], "date": date, "time": time},
        "DTM": [{"qualifier": "011", "date": date, "time": time, "time_code": "UT"}],
        "HL": levels,
        "CTT": {"line_count": str(len(levels))},
    }
