"""Which customer notification a milestone triggers, and which one a burst sends.

Plain values in, plain values out: the model calls these and stores the outcome.
"""

# The kinds a company (or an endpoint, or a delivery method) may switch on.
SHIPPED = "shipped"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
DELAYED = "delayed"
EXCEPTION = "exception"
ETA_CHANGED = "eta_changed"
KINDS = (SHIPPED, OUT_FOR_DELIVERY, DELIVERED, DELAYED, EXCEPTION, ETA_CHANGED)

# Progress kinds follow the shipment; a later one makes an earlier one stale.
PROGRESS_RANK = {SHIPPED: 1, OUT_FOR_DELIVERY: 2, DELIVERED: 3}

_BY_MILESTONE = {
    "picked_up": SHIPPED,
    "in_transit": SHIPPED,
    "out_for_delivery": OUT_FOR_DELIVERY,
    "delivered": DELIVERED,
    "delayed": DELAYED,
    "exception": EXCEPTION,
    "delivery_failed": EXCEPTION,
    "on_hold": EXCEPTION,
}
# Milestones after which nothing but the delivery itself is news any more.
FINISHED = ("delivered", "returned", "cancelled")

# When several notifications are due at once, the one message sent is the first of these.
PRIORITY = (DELIVERED, EXCEPTION, DELAYED, OUT_FOR_DELIVERY, SHIPPED, ETA_CHANGED)
# Sent at most once per transfer.
ONCE = (DELAYED, EXCEPTION)

# A carrier's new ETA is news when it moves by at least this much.
ETA_CHANGE_SECONDS = 3600


def progress_kind(milestone):
    """The progress kind a transfer's current milestone stands for, or None."""
    kind = _BY_MILESTONE.get(milestone or "")
    return kind if kind in PROGRESS_RANK else None


def trigger(milestone, old_milestone, old_eta, new_eta):
    """The kinds an applied milestone event triggers (a tuple, maybe empty).

    ``old_milestone``: the transfer's milestone before the event; a progress kind is
    triggered only when the shipment enters it (one more in-transit scan is no news).
    ``old_eta`` / ``new_eta``: the transfer's carrier ETA before and after the event
    (datetimes or None).  A moved ETA is news only when one was known before.
    """
    found = []
    kind = _BY_MILESTONE.get(milestone or "")
    if kind and (kind not in PROGRESS_RANK or kind != progress_kind(old_milestone)):
        found.append(kind)
    if old_eta and new_eta and abs((new_eta - old_eta).total_seconds()) >= ETA_CHANGE_SECONDS:
        found.append(ETA_CHANGED)
    return tuple(found)


def plan(pending, current_milestone, sent):
    """The one kind to send for a burst of pending notifications, and why not the others.

    ``pending``: kinds waiting (in the order they were triggered).
    ``current_milestone``: the transfer's milestone now (the debounce job reads it).
    ``sent``: kinds already sent for this transfer.

    Returns ``(kind or None, reasons)``: ``reasons`` maps each pending kind not sent
    to a short code: ``stale`` (the shipment moved past it), ``already_sent``,
    ``merged`` (folded into the message sent).
    """
    reasons = {}
    now_kind = progress_kind(current_milestone)
    sent_rank = max((PROGRESS_RANK.get(k, 0) for k in sent), default=0)
    finished = current_milestone in FINISHED
    candidates = []
    for kind in dict.fromkeys(pending):
        if kind in PROGRESS_RANK:
            if kind != now_kind:
                reasons[kind] = "stale"
            elif PROGRESS_RANK[kind] <= sent_rank:
                reasons[kind] = "already_sent"
            else:
                candidates.append(kind)
        elif finished:
            reasons[kind] = "stale"
        elif kind in ONCE and kind in sent:
            reasons[kind] = "already_sent"
        else:
            candidates.append(kind)
    chosen = None
    for kind in PRIORITY:
        if kind in candidates:
            chosen = kind
            break
    for kind in candidates:
        if kind != chosen:
            reasons[kind] = "merged"
    return chosen, reasons
