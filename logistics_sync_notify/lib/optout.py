"""Signed opt-out links: a token per partner and channel, checked in constant time."""

import hashlib
import hmac

CHANNELS = ("email",)


def token(secret, dbname, partner_id, channel):
    """HMAC-SHA256 (hex) of the partner and channel, keyed with the database secret."""
    message = f"logistics_sync_notify.optout:{dbname}:{int(partner_id)}:{channel}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify(secret, dbname, partner_id, channel, candidate):
    """True when ``candidate`` is the token of this partner and channel."""
    if channel not in CHANNELS or not candidate or not secret:
        return False
    try:
        partner_id = int(partner_id)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(token(secret, dbname, partner_id, channel), str(candidate))
