# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Outbound URL checks against server-side request forgery (SSRF).

Before Odoo calls a URL a user typed (a carrier's base URL, an OAuth token URL,
a redirect the carrier answered), ``check_url`` makes sure it points at the
public internet over HTTPS: no other scheme, no credentials in the URL, and no
address of the internal network (private, loopback, link-local such as the
cloud metadata service 169.254.169.254, multicast, reserved, unspecified),
including those addresses hidden in IPv6 forms (IPv4-mapped, 6to4, Teredo,
NAT64).  Every address a host name resolves to is checked.

The developer setting ``allow_http_loopback`` lets a local simulator through:
loopback addresses are then accepted, over http or https, and plain http is
accepted for loopback hosts only.

``approved_addresses`` returns the addresses the check approved: outbound HTTP
connects to one of them (``logistics_sync_base/adapters/http.py`` pins the
connection), never to a second resolution of the name, which a DNS rebinding
attacker could answer with an internal address.  ``check_url`` is the same
check for callers that only need the verdict.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
}
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
LOOPBACK = "a loopback address"


class UnsafeURLError(ValueError):
    """The URL must not be called from the server; the message names it and says why."""


def _display(parts):
    """The URL as shown in messages: without credentials, query or fragment."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else parts.path
    if parts.query:
        shown += "?..."
    return shown or "(empty URL)"


def _default_resolver(host, port):
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _parse_address(text):
    try:
        return ipaddress.ip_address(str(text).split("%", 1)[0])
    except ValueError:
        return None


def _embedded_ipv4(address):
    """IPv4 addresses carried inside an IPv6 address (mapped, 6to4, Teredo, NAT64)."""
    if address.version != 6:
        return []
    embedded = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded.extend(address.teredo)
    if address in NAT64_PREFIX:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _kind(address):
    """What makes ``address`` internal ("a private address", ...), or None when public."""
    if address in METADATA_ADDRESSES:
        return "a link-local address (cloud metadata service)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return LOOPBACK
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if address.version == 6 and address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "not a public address"
    return None


def _address_problem(address, allow_loopback):
    """``(culprit, why)`` when ``address`` is refused, else None.

    The culprit is the address itself or the IPv4 address it carries; loopback
    passes when ``allow_loopback``.
    """
    for inner in _embedded_ipv4(address):
        problem = _address_problem(inner, allow_loopback)
        if problem:
            return problem
    if address.version == 6 and (address.ipv4_mapped or address in NAT64_PREFIX):
        return None  # judged by the IPv4 address it carries, checked above
    kind = _kind(address)
    if kind is None or (kind == LOOPBACK and allow_loopback):
        return None
    return address, kind


def _is_loopback(address):
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def check_url(url, allow_http_loopback=False, resolver=None, resolve=True):
    """Raise ``UnsafeURLError`` unless ``url`` is safe to call from the server.

    ``resolver(host, port)`` returns the host's IP addresses as strings (default:
    ``socket.getaddrinfo``); tests inject one to stay off the network.
    ``allow_http_loopback`` (a developer setting) accepts loopback addresses,
    over http too.  ``resolve=False`` checks everything but the addresses a host
    name resolves to: clients call it before a request, whose pinned connection
    then resolves the name once and checks those addresses (no second
    resolution).  Returns None when the URL is fine.
    """
    approved_addresses(
        url, allow_http_loopback=allow_http_loopback, resolver=resolver, resolve=resolve
    )


def check_url_syntax(url, allow_http_loopback=False):
    """``check_url`` without resolving host names (see there)."""
    check_url(url, allow_http_loopback=allow_http_loopback, resolve=False)


def approved_addresses(url, allow_http_loopback=False, resolver=None, resolve=True):
    """The IP addresses (strings, in the resolver's order) that ``url`` may be called at.

    One resolution: every address it gave is checked, and the caller connects
    to one of these, not to the name.  Raises ``UnsafeURLError`` like
    ``check_url``.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("An empty URL is refused.")
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeURLError(f"{url[:80]} is refused: it is not a valid URL") from None
    shown = _display(parts)

    def refuse(reason):
        raise UnsafeURLError(f"{shown} is refused: {reason}")

    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        refuse(f"only https URLs are allowed, not {scheme or 'a URL without scheme'}")
    host = parts.hostname
    if not host:
        refuse("it has no host")
    if parts.username is not None or parts.password is not None:
        refuse("credentials in the URL (user:password@) are not allowed")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        refuse("its port is not valid")

    literal = _parse_address(host)
    if literal is not None:
        addresses = [literal]
    elif not resolve:
        if scheme == "http" and not allow_http_loopback:
            refuse("plain http is not allowed; use https")
        return []
    else:
        try:
            found = (resolver or _default_resolver)(host, port)
        except (OSError, UnicodeError, ValueError):
            found = []
        addresses = [a for a in map(_parse_address, found or ()) if a is not None]
        if not addresses:
            refuse(f"cannot resolve {host}")

    for address in addresses:
        problem = _address_problem(address, allow_http_loopback)
        if problem is None:
            continue
        culprit, kind = problem
        what = f"{address}" if literal is not None else f"{host} resolves to {address}, which"
        if culprit != address:
            refuse(f"{what} carries {culprit}, {kind}")
        refuse(f"{what} is {kind}")

    if scheme == "http" and not (allow_http_loopback and all(map(_is_loopback, addresses))):
        if allow_http_loopback:
            refuse("plain http is allowed for loopback hosts only; use https")
        refuse("plain http is not allowed; use https")
    return [str(address) for address in addresses]
