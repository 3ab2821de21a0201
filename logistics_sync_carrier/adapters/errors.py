# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The exceptions of the carrier adapters: what the caller should do next.

- ``TransientCarrierError``: try again later (timeouts, connection errors,
  429, 5xx, an outage), with ``retry_after`` seconds when the carrier said so;
- ``PermanentCarrierError``: trying again will not help (credentials refused,
  other 4xx, an answer that is not what was promised, a SOAP fault of the
  client, XML with a DTD or entities, a URL refused by the SSRF check).

They are the base's outbound errors (``logistics_sync_base/adapters/errors.py``),
so the endpoint's outbound helpers sort them like any adapter's.  Messages are
safe to show: the adapters scrub secrets out of them.
"""

from odoo.addons.logistics_sync_base.adapters.errors import (
    OutboundError,
    PermanentOutboundError,
    TransientOutboundError,
)


class CarrierError(OutboundError):
    """A carrier call failed; ``message`` is safe to show (no secrets)."""


class TransientCarrierError(CarrierError, TransientOutboundError):
    """Try again later; ``retry_after`` (seconds) when the carrier said when."""


class PermanentCarrierError(CarrierError, PermanentOutboundError):
    """Trying again with the same request and settings will not help."""
