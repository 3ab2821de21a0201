# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Errors of the EDI documents' handlers (no Odoo)."""


class EdiApplicationError(Exception):
    """A transaction set that is valid X12 but cannot be applied here (an unknown
    shipment, a code missing from the partner's code list): the whole set is left
    unapplied and the exchange shows this message at ``position`` (the segment's
    1-based position in the file), ``segment_id`` and ``element``."""

    def __init__(self, message, position=None, segment_id=None, element=None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.segment_id = segment_id
        self.element = element
