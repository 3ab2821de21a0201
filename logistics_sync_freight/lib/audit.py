# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Freight audit rules: plain values in, plain values out (no ORM)."""


def rule_score(rule, partner_id, type_id, origin_id, dest_id):
    """How specifically ``rule`` fits a charge, or None when it does not apply.

    A rule's empty criterion matches anything; each criterion it sets and that
    matches counts one; the most specific rule wins (ties: lowest sequence, which
    the caller's order gives)."""
    score = 0
    for key, value in (
        ("partner_id", partner_id),
        ("charge_type_id", type_id),
        ("origin_country_id", origin_id),
        ("dest_country_id", dest_id),
    ):
        wanted = rule.get(key)
        if not wanted:
            continue
        if wanted != value:
            return None
        score += 1
    return score


def best_rule(rules, partner_id, type_id, origin_id, dest_id):
    """The most specific rule (a dict) applying to a charge, or None."""
    best, best_score = None, -1
    for rule in rules:
        score = rule_score(rule, partner_id, type_id, origin_id, dest_id)
        if score is not None and score > best_score:
            best, best_score = rule, score
    return best


def decide(amount, expected, rule, accessorial, rounding=0.01):
    """``(state, reason)`` for a charge of ``amount`` against ``expected``.

    ``expected``: the expected cost of the charge's type for its transfer, in the
    same currency, or None when the expected cost has no line of that type.
    ``rule``: the tolerance rule dict (``charge_type_id``, ``amount``, ``percent``,
    ``allow_accessorial``) that applies (``best_rule``) or None (no tolerance: exact
    within ``rounding``, the currency's smallest unit).

    A credit (zero or negative) is approved whatever the expected cost. With an
    expected cost, a charge at or below it is approved; above it, the variance must
    be within every limit the rule sets (amount and percent of the expected cost; a
    limit of 0 is not set). With none (no line of the charge's type), the rule of
    rule decides: an accessorial it allows is approved, and a charge within the
    amount of a rule naming its type (e.g. fuel up to 2.00); otherwise disputed.
    """
    half = rounding / 2
    if amount <= half:
        return "approved", "a credit or nothing to pay"
    if expected is None:
        if accessorial and rule and rule.get("allow_accessorial"):
            return "approved", "accessorial allowed by rule"
        own = rule if rule and rule.get("charge_type_id") else None
        if own and own.get("amount"):
            if amount <= own["amount"] + half:
                return "approved", "no expected line: within the charge type's tolerance"
            return "disputed", (
                f"no expected line: over the charge type's tolerance ({own['amount']:.2f})"
            )
        if accessorial:
            return "disputed", "accessorial not in the expected cost"
        return "disputed", "no expected cost for this charge type"
    variance = amount - expected
    if variance <= half:
        return "approved", "at or below the expected cost"
    limits = []
    if rule and rule.get("amount"):
        limits.append(rule["amount"])
    if rule and rule.get("percent"):
        limits.append(abs(expected) * rule["percent"] / 100.0)
    if limits and variance <= min(limits) + half:
        return "approved", "within tolerance"
    allowed = min(limits) if limits else 0.0
    return "disputed", f"over the expected cost by {variance:.2f} (tolerance {allowed:.2f})"


def merge_distributions(weighted):
    """One analytic distribution from ``[(distribution dict, weight)]``, weighted
    (the sale order's lines by their subtotal); percentages rounded to 2 digits."""
    total = sum(weight for dist, weight in weighted if dist and weight > 0)
    if not total:
        return {}
    merged = {}
    for dist, weight in weighted:
        if not dist or weight <= 0:
            continue
        for key, percent in dist.items():
            merged[key] = merged.get(key, 0.0) + percent * weight / total
    return {key: round(value, 2) for key, value in merged.items()}
