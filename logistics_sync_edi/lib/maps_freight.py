# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 210 (motor carrier freight details and invoice) as the freight addon's carrier
invoice (no Odoo).

``invoice_from_210(values, charge_codes)`` turns a 210 read with
``maps/210_004010.json`` into ``{number: invoice}`` in the shape of
``logistics_sync_freight/lib/invoice_csv.parse``, so it is stored, matched and
audited by the same code as a CSV file (``logistics.freight.invoice._freight_receive``).
Amounts are cents (N2: two implied decimals).  Every L1 is a charge line of the
shipment (B3-03, else the N9 CN or BM reference), its type through the partner's
charge code list (L1-08 -> charge type code; no L1-08: the base freight); L3-05
must equal the L1s' sum and B3-07 the same total: a wrong total, an unknown charge
code or a shipment without a reference is an error at its segment, nothing stored.
"""

from datetime import datetime

from .x12 import X12Error

# Special charge or allowance codes (X12 element 150) to the freight addon's charge
# type codes; data a partner replaces with its own list
DEFAULT_CHARGE_CODES = {
    "400": "base",
    "FUE": "fuel",
    "LFT": "liftgate",
    "RES": "residential",
    "DET": "waiting",
}


def _cents(value, segment, element):
    try:
        return int(value) / 100.0
    except (TypeError, ValueError):
        raise X12Error(
            f"{value!r} is not an amount in cents.",
            position=segment.get("_position"),
            segment_id=segment.get("_tag"),
            element=element,
        ) from None


def _refs(rows, qualifier):
    return [row["ref"] for row in rows or () if row.get("qualifier") == qualifier]


def invoice_from_210(values, charge_codes=None, default_currency="USD"):
    """``(number, invoice)``: the carrier invoice of a 210's values."""
    codes = DEFAULT_CHARGE_CODES if charge_codes is None else charge_codes
    b3 = dict(values["B3"], _tag="B3")
    tracking = (_refs(values.get("N9"), "CN") or [None])[0]
    shipment = b3.get("shipment_id") or tracking or (_refs(values.get("N9"), "BM") or [None])[0]
    if not shipment:
        raise X12Error(
            "The invoice names no shipment (B3-03, or an N9 CN or BM reference).",
            position=b3["_position"],
            segment_id="B3",
            element=3,
        )
    currency = ((values.get("C3") or {}).get("currency") or default_currency).upper()
    lines, total = [], 0.0
    for item in values.get("LX") or ():
        description = next(
            (row["description"] for row in item.get("L5") or () if row.get("description")), None
        )
        for l1 in item["L1"]:
            l1 = dict(l1, _tag="L1")
            code = l1.get("charge_code") or "400"
            if code not in codes:
                raise X12Error(
                    f"Charge code {code!r} is not in the partner's charge code list "
                    f"({', '.join(sorted(codes))}).",
                    position=l1["_position"],
                    segment_id="L1",
                    element=8,
                    value=code,
                )
            amount = _cents(l1["charge"], l1, 4)
            total += amount
            lines.append(
                {
                    "line": l1["_position"],
                    "shipment_ref": shipment,
                    "tracking_ref": tracking or False,
                    "charge_type": codes[code],
                    "amount": amount,
                    "quantity": 1.0,
                    "description": l1.get("description") or description or False,
                }
            )
    l3 = dict(values["L3"], _tag="L3")
    for segment, element, declared in (
        (l3, 5, _cents(l3["charge"], l3, 5)),
        (b3, 7, _cents(b3["amount"], b3, 7)),
    ):
        if abs(declared - total) > 0.005:
            raise X12Error(
                f"{segment['_tag']}-{element:02d} says {declared:.2f}, the L1 charges add up "
                f"to {total:.2f}.",
                position=segment["_position"],
                segment_id=segment["_tag"],
                element=element,
            )
    day = datetime.strptime(b3["date"], "%Y%m%d").date()
    return b3["invoice_number"], {"date": day, "currency": currency, "lines": lines}
