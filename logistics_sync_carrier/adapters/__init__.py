# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Plain Python clients of a parcel carrier (no ORM): one adapter per carrier API.

- ``rest``: the REST/JSON API; ``soap``: the SOAP 1.1 service (zeep);
- ``base``: what both share (SSRF pre-check, secret scrubbing, errors worded);
- ``errors``: ``TransientCarrierError`` (try again later, ``retry_after``) and
  ``PermanentCarrierError`` (change something first), never ``UserError``;
- ``auth``: ``CarrierAuth`` and the OAuth2 token cache (per database and endpoint);
- ``safexml``: what the SOAP adapter refuses before and while parsing;
- ``karrio_adapter``: real carriers (UPS, FedEx, DHL Express...) through karrio,
  on our transport (``UncertainCarrierError``: a booking whose answer was lost).

Transport (pinned sessions, redirects, Retry-After, failure kinds) comes from
``logistics_sync_base/adapters/http.py``.  Cross-addon imports are absolute
(``odoo.addons.logistics_sync_base``); pure tests and the simulators register
``odoo.addons`` without Odoo (``logistics_sync_base/odoo_free.py``).
"""

from . import karrio_adapter
from .auth import AUTH_TYPES, CarrierAuth
from .errors import CarrierError, PermanentCarrierError, TransientCarrierError
from .karrio_adapter import KarrioCarrierClient, UncertainCarrierError
from .rest import RestCarrierClient
from .soap import SoapCarrierClient
from odoo.addons.logistics_sync_base.adapters.http import parse_retry_after


def client_for(protocol, **kwargs):
    """The client of ``protocol`` ("rest" or "soap") built with ``kwargs``."""
    if protocol == "rest":
        kwargs.pop("wsdl_path", None)
        return RestCarrierClient(**kwargs)
    if protocol == "soap":
        kwargs.pop("session", None)
        return SoapCarrierClient(**kwargs)
    raise ValueError(f"unknown carrier protocol {protocol!r}; use 'rest' or 'soap'")


__all__ = [
    "AUTH_TYPES",
    "CarrierAuth",
    "CarrierError",
    "KarrioCarrierClient",
    "UncertainCarrierError",
    "karrio_adapter",
    "PermanentCarrierError",
    "RestCarrierClient",
    "SoapCarrierClient",
    "TransientCarrierError",
    "client_for",
    "parse_retry_after",
]
