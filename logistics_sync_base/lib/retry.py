"""Retry delays: exponential backoff with full jitter."""

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
