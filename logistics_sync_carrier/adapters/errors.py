# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The exceptions of the carrier adapters: what the caller should do next.

- ``TransientCarrierError``: try again later (timeouts, connection errors,
  429, 5xx, an outage), with ``retry_after`` seconds when the carrier said so;
- ``PermanentCarrierError``: trying again will not help (credentials refused,
  other 4xx, an answer that is not what was promised, a SOAP fault of the
  client, XML with a DTD or entities, a URL refused by the SSRF check).

Messages are safe to show: the adapters scrub secrets out of them.
"""


class CarrierError(Exception):
    """A carrier call failed; ``message`` is safe to show (no secrets)."""

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class TransientCarrierError(CarrierError):
    """Try again later; ``retry_after`` (seconds) when the carrier said when."""

    def __init__(self, message, status_code=None, retry_after=None):
        super().__init__(message, status_code)
        self.retry_after = retry_after


class PermanentCarrierError(CarrierError):
    """Trying again with the same request and settings will not help."""
