# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SSCC-18 (GS1 Serial Shipping Container Code): check digit and building."""


def check_digit(digits):
    """The GS1 mod-10 check digit of ``digits`` (17 for an SSCC)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def build(prefix, serial, extension="0"):
    """SSCC-18 from a GS1 company prefix (7 to 10 digits), a serial reference and
    the extension digit; ``ValueError`` when they do not fit in 17 digits."""
    if not (prefix.isdigit() and 7 <= len(prefix) <= 10):
        raise ValueError("the GS1 company prefix must be 7 to 10 digits")
    width = 16 - len(prefix)
    serial = str(serial)
    if not serial.isdigit() or len(serial) > width:
        raise ValueError(f"the serial reference must be at most {width} digits")
    body = f"{extension}{prefix}{serial.zfill(width)}"
    return body + check_digit(body)


def is_valid(sscc):
    return len(sscc) == 18 and sscc.isdigit() and check_digit(sscc[:17]) == sscc[17]
