# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Plain Python pieces the adapters of every addon share (no ORM): ``http``
(pinned sessions, redirects, failure kinds), ``errors`` (transient or permanent) and
``json_api`` (a partner's JSON API with idempotency keys: the TMS and 3PL clients)."""

from .errors import OutboundError, PermanentOutboundError, TransientOutboundError

__all__ = ["OutboundError", "PermanentOutboundError", "TransientOutboundError"]
