# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Choosing a carrier's quote by a rule: plain values in, plain values out.

A quote: ``{"carrier": any, "success": bool, "price": float, "transit_days":
int | None}``.  A failed quote, or a price of 0 or less (a carrier that answers
0.00 for "no price"), is never chosen.
"""

STRATEGIES = ("cheapest", "fastest", "preferred")


def usable(quotes):
    """The quotes that may be chosen: successful, with a price above 0."""
    return [q for q in quotes if q.get("success") and (q.get("price") or 0.0) > 0.0]


def choose(quotes, strategy="cheapest", preferred=None):
    """The quote ``strategy`` picks (None when no quote is usable).

    ``cheapest``: the lowest price (ties: the fewest transit days);
    ``fastest``: the fewest transit days (unknown last; ties: the lowest price);
    ``preferred``: the ``preferred`` carrier's quote when usable, else the cheapest.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; use one of {STRATEGIES}")
    candidates = usable(quotes)
    if not candidates:
        return None

    def days(quote):
        value = quote.get("transit_days")
        return value if isinstance(value, int) and value >= 0 else float("inf")

    if strategy == "preferred":
        mine = [q for q in candidates if q.get("carrier") == preferred]
        if mine:
            return min(mine, key=lambda q: q["price"])
        strategy = "cheapest"
    if strategy == "fastest":
        return min(candidates, key=lambda q: (days(q), q["price"]))
    return min(candidates, key=lambda q: (q["price"], days(q)))
