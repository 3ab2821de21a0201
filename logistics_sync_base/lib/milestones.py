"""Canonical milestones and the ordering rules of a shipment."""

PROGRESS = (
    "released",
    "booked",
    "carrier_assigned",
    "label_created",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "ready_for_pickup",
    "delivered",
)
SIDE = ("delayed", "on_hold", "delivery_failed", "exception", "pod_received")
TERMINAL = ("returned", "cancelled")
ALL = PROGRESS + SIDE + TERMINAL

# Side milestones that flag the transfer for a person to look at.
ALERTING = ("delayed", "on_hold", "delivery_failed", "exception")
# Milestones that need Odoo to have registered the dispatch (transfer validated) first.
NEEDS_DISPATCH = ("delivered", "pod_received")

LABELS = {
    "released": "Released to TMS",
    "booked": "Booked",
    "carrier_assigned": "Carrier assigned",
    "label_created": "Label created",
    "picked_up": "Picked up",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "ready_for_pickup": "Ready for pickup",
    "delivered": "Delivered",
    "delayed": "Delayed",
    "on_hold": "On hold",
    "delivery_failed": "Delivery failed",
    "exception": "Exception",
    "pod_received": "Proof of delivery",
    "returned": "Returned",
    "cancelled": "Cancelled",
}
SELECTION = [(code, LABELS[code]) for code in ALL]

_RANK = {code: index + 1 for index, code in enumerate(PROGRESS)}
_RANK.update({"cancelled": len(PROGRESS) + 1, "returned": len(PROGRESS) + 2})


def rank(milestone):
    """Position of a milestone on the progress line; 0 for side milestones or none."""
    return _RANK.get(milestone or "", 0)


def moves_shipment(milestone):
    """True when the milestone changes the shipment's current milestone."""
    return rank(milestone) > 0


def decide(current, event, dispatched):
    """What to do with one event given the shipment's current position.

    ``current``: ``None`` or a dict ``milestone``, ``occurred_at``, ``sequence``.
    ``event``: a dict ``milestone``, ``occurred_at``, ``sequence``.
    ``dispatched``: whether Odoo registered the dispatch (transfer validated).

    Returns one of ``"apply"`` (move the shipment, or record a side milestone),
    ``"superseded"`` (an older progress event that arrived late: keep, do not move),
    ``"wait"`` (needs the dispatch first).
    """
    milestone = event["milestone"]
    if milestone in NEEDS_DISPATCH and not dispatched:
        return "wait"
    if not moves_shipment(milestone):
        return "apply"
    if not current or not current.get("milestone"):
        return "apply"
    cur_rank = rank(current["milestone"])
    new_rank = rank(milestone)
    if new_rank != cur_rank:
        return "apply" if new_rank > cur_rank else "superseded"
    # Same milestone again (e.g. one more in_transit scan): newer information wins.
    cur_seq, new_seq = current.get("sequence"), event.get("sequence")
    if cur_seq is not None and new_seq is not None and cur_seq != new_seq:
        return "apply" if new_seq > cur_seq else "superseded"
    cur_at, new_at = current.get("occurred_at"), event.get("occurred_at")
    if cur_at and new_at and new_at > cur_at:
        return "apply"
    return "superseded"
