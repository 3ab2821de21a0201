"""What the webhook controller needs to know about an endpoint, as plain values.

Built once per worker from the endpoint record (``logistics.endpoint._snapshot``)
and cached, so that a webhook request finds, checks and maps without a query.
"""

import ipaddress
from dataclasses import dataclass, field

from . import mapping, signature


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
    tolerance: int
    networks: tuple
    rate_limit: int
    max_bytes: int
    signature_scheme: str
    signature_header: str
    signature_encoding: str
    inbound_format: str
    paths: tuple
    status_map: tuple

    def source_allowed(self, remote_addr):
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def verify_signature(self, headers, body):
        if self.signature_scheme == "hmac_sha256":
            signature.verify_hmac(
                self.secrets, headers, body, self.signature_header, self.signature_encoding
            )
        else:
            signature.verify(self.secrets, headers, body, tolerance=self.tolerance)

    def to_canonical(self, data):
        if self.inbound_format != "mapped":
            return ([data] if isinstance(data, dict) else data), []
        return mapping.map_payloads(
            data,
            dict(self.paths),
            dict(self.status_map),
            carrier=self.code if self.kind == "carrier" else None,
        )
