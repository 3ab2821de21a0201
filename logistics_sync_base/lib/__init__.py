"""Pure functions of the canonical pipeline: plain values in, plain values out.

Nothing here imports the ORM, so the functions are tested with plain pytest
(tests/unit) and reused by every Logistics Sync addon.
"""
