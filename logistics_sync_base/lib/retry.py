"""Retry delays: exponential backoff with full jitter."""

import math
import random


def backoff_seconds(attempt, base=30, cap=3600, rng=random.random):
    """Delay before retry number ``attempt`` (1 for the first retry).

    Exponential (``base * 2**(attempt-1)``) capped at ``cap``, with jitter
    between half and the whole of it so that retries of many events spread out.
    """
    attempt = max(1, int(attempt))
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return int(ceiling / 2 + rng() * ceiling / 2)


def retry_after_seconds(header_value, default=None, cap=3600):
    """Parse a ``Retry-After`` header holding delta-seconds; None when absent or bad."""
    if header_value is None:
        return default
    try:
        seconds = int(str(header_value).strip())
    except ValueError:
        return default
    return max(0, min(seconds, cap))


MAX_WAIT_SECONDS = 900


def retry_delay(attempt, retry_after=None, base=30, cap=MAX_WAIT_SECONDS, rng=random.random):
    """Whole seconds before the next try of an outbound call (at least 1).

    The other side's ``Retry-After`` when it gave one (it knows best; capped),
    else ``backoff_seconds`` (exponential with jitter) for retry ``attempt``.
    """
    if retry_after is not None:
        seconds = min(float(retry_after), cap)
    else:
        seconds = backoff_seconds(attempt, base=base or 30, cap=cap, rng=rng)
    return max(1, math.ceil(seconds))
