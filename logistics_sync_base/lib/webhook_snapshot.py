"""What the webhook controller needs to know about an endpoint, as plain values.

Built once per worker from the endpoint record (``logistics.endpoint._snapshot``)
and cached, so that a webhook request finds, checks and maps without a query:
the signature settings and the compiled mapping (JSON paths parsed once) live here.
"""

import ipaddress
from dataclasses import dataclass, field

from . import mapping as mapping_lib
from . import signature

INVALID_MAPPING = "the endpoint's mapping is not valid; fix it on the endpoint form"


@dataclass(frozen=True, kw_only=True)
class WebhookSnapshot:
    """What the webhook controller needs to know about an endpoint, without a query."""

    id: int
    code: str
    name: str
    kind: str
    company_id: int
    channel_name: str
    secrets: tuple = field(repr=False)
    networks: tuple
    rate_limit: int
    max_bytes: int
    max_batch: int = 500
    signature: signature.SignatureConfig
    inbound_format: str
    mapping: mapping_lib.Mapping | None = None

    def source_allowed(self, remote_addr):
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def verify_signature(self, headers, body):
        signature.verify_config(self.signature, self.secrets, headers, body)

    def map_body(self, data):
        """``(events, errors, originals)`` for a parsed body; ``originals`` is None for
        canonical endpoints (the events are the sender's own objects)."""
        if self.inbound_format != "mapped":
            return ([data] if isinstance(data, dict) else data), [], None
        if self.mapping is None:
            error = {"index": 0, "field": "", "path": "$", "message": INVALID_MAPPING}
            return [], [error], []
        return mapping_lib.map_body(self.mapping, data)

    def to_canonical(self, data):
        """``(events, errors)`` for a parsed body."""
        events, errors, _originals = self.map_body(data)
        return events, errors
