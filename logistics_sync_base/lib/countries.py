"""Countries as senders write them -> ISO 3166-1 alpha-2 (the canonical field).

Accepts alpha-2, alpha-3, numeric codes and English names (official and common),
case-insensitively, through the kept ``pycountry`` library.
"""

from functools import lru_cache

import pycountry

# Codes in everyday use that ISO 3166-1 reserves for another meaning.
ALIASES = {"UK": "GB", "EL": "GR"}


@lru_cache(maxsize=2048)  # bounded: senders cannot grow it without limit
def to_alpha2(value):
    """The alpha-2 code of ``value``; ValueError when it names no country."""
    text = str(value).strip()
    if not text:
        raise ValueError("empty country")
    if text.upper() in ALIASES:
        return ALIASES[text.upper()]
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        raise ValueError(f"{text!r} is not an ISO 3166-1 country code or English name") from None
