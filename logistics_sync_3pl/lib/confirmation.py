# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL confirmation checked against its document, as plain values (no ORM).

``plan(lines, rows, packages)`` returns the allocations to apply (each row's
quantity spread over the document's lines of its SKU, in order) or raises
``ConfirmationError`` with every reason at once: nothing is applied in part.
"""

from collections import defaultdict


class ConfirmationError(ValueError):
    """The confirmation cannot be applied; ``reasons``: each problem, for users."""

    def __init__(self, reasons):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _fmt(value):
    return f"{value:g}"


# how the over-quantity reason reads: (what, how the rows call it, how the lines do)
OVER_PICK = ("over-pick of", "confirmed", "expected")


def plan(lines, rows, packages=(), rounding=1e-6, lots_required=True, over=OVER_PICK):
    """Allocations ``{line_id, quantity, damaged, lot, expiry_date, package}``.

    ``lines``: the document's open lines ``{line_id, sku, quantity, tracking}``
    (``quantity``: what is still expected); ``rows``: the confirmation's lines;
    ``packages``: its packages (``sscc`` ...); ``lots_required``: a tracked
    product's row without a lot is refused (a supplier's notice may leave them
    out); ``over``: the words of the over-quantity reason.
    """
    reasons = []
    by_sku = defaultdict(list)
    for line in lines:
        by_sku[line["sku"]].append(line)
    line_ids = {line["line_id"]: line for line in lines}
    ssccs = [p["sscc"] for p in packages]
    seen_sscc = set()
    for sscc in ssccs:
        if sscc in seen_sscc:
            reasons.append(f"package {sscc} is listed twice")
        seen_sscc.add(sscc)
    totals, serials = defaultdict(float), set()
    for index, row in enumerate(rows, start=1):
        sku, qty = row["sku"], row["quantity"]
        damaged = row.get("damaged_quantity") or 0.0
        lot = row.get("lot") or None
        where = f"line {index} ({sku})"
        if sku not in by_sku:
            reasons.append(f"{where}: product {sku} is not on this document")
            continue
        tracking = by_sku[sku][0]["tracking"]
        if row.get("line_id") is not None and line_ids.get(row["line_id"], {}).get("sku") != sku:
            reasons.append(f"{where}: line_id {row['line_id']} is not a line of {sku}")
        if qty < 0 or damaged < 0:
            reasons.append(f"{where}: negative quantity {_fmt(min(qty, damaged))}")
            continue
        if tracking == "none" and lot:
            reasons.append(
                f"{where}: lot {lot} given for a product tracked by neither lot nor serial"
            )
        if lots_required and tracking != "none" and not lot and qty + damaged > rounding:
            reasons.append(f"{where}: no {tracking} number for a product tracked by {tracking}")
        if tracking == "serial" and lot:
            if abs(qty + damaged - 1.0) > rounding:
                reasons.append(f"{where}: serial number {lot} with quantity {_fmt(qty + damaged)}")
            if lot in serials:
                reasons.append(f"{where}: serial number {lot} given twice")
            serials.add(lot)
        if row.get("package") and row["package"] not in seen_sscc:
            reasons.append(f"{where}: package {row['package']} is not in the packages")
        totals[sku] += qty + damaged
    for sku, total in totals.items():
        expected = sum(line["quantity"] for line in by_sku[sku])
        if total > expected + rounding:
            reasons.append(f"{over[0]} {sku}: {_fmt(total)} {over[1]}, {_fmt(expected)} {over[2]}")
    if reasons:
        raise ConfirmationError(list(dict.fromkeys(reasons)))
    left = {line["line_id"]: line["quantity"] for line in lines}
    allocations = []
    for row in rows:
        good, bad = row["quantity"], row.get("damaged_quantity") or 0.0
        targets = by_sku[row["sku"]]
        if row.get("line_id") is not None:
            first = line_ids[row["line_id"]]
            targets = [first] + [t for t in targets if t is not first]
        for position, line in enumerate(targets):
            if good + bad <= rounding:
                break
            last = position == len(targets) - 1
            room = good + bad if last else left[line["line_id"]]
            if room <= rounding:
                continue
            take_good = min(good, room)
            take_bad = min(bad, room - take_good)
            left[line["line_id"]] -= take_good + take_bad
            good, bad = good - take_good, bad - take_bad
            allocations.append(
                {
                    "line_id": line["line_id"],
                    "quantity": take_good,
                    "damaged": take_bad,
                    "lot": row.get("lot") or None,
                    "expiry_date": row.get("expiry_date") or None,
                    "package": row.get("package") or None,
                }
            )
    return allocations
