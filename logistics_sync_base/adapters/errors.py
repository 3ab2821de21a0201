# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The exceptions of every outbound adapter: what the caller should do next.

- ``TransientOutboundError``: try again later (timeouts, connection errors,
  429, 5xx, an outage), with ``retry_after`` seconds when the other side said so;
- ``PermanentOutboundError``: trying again will not help (credentials refused,
  other 4xx, an answer that is not what was promised, a URL refused by the
  SSRF check).

Each addon's adapters raise subclasses of these (the carrier's
``TransientCarrierError`` is a ``TransientOutboundError``), so that
``logistics.endpoint._outbound_failed`` sorts any of them.  Messages are safe
to show: adapters scrub secrets out of them.
"""


class OutboundError(Exception):
    """An outbound call failed; ``message`` is safe to show (no secrets).

    ``answered``: the other side answered (an HTTP status), so it is up.
    """

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    @property
    def answered(self):
        return self.status_code is not None


class TransientOutboundError(OutboundError):
    """Try again later; ``retry_after`` (seconds) when the other side said when."""

    def __init__(self, message, status_code=None, retry_after=None):
        super().__init__(message, status_code)
        self.retry_after = retry_after


class PermanentOutboundError(OutboundError):
    """Trying again with the same request and settings will not help."""
