# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Field types the suite needs beyond Odoo's own."""

from odoo import fields


class BigInteger(fields.Integer):
    """An integer stored as PostgreSQL ``bigint`` (up to 2^63 - 1).

    Senders number events with millisecond timestamps, which do not fit Odoo's
    ``int4`` integers.  Reads above 2^31 - 1 come back as floats over XML-RPC,
    as for any Odoo integer.
    """

    _column_type = ("int8", "int8")
