# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Outbound HTTP the adapters share: SSRF-pinned sessions, redirects by hand, failures sorted.

- ``pinned_session``: a requests session whose every connection goes to an
  address the SSRF check approved in the same, single resolution
  (``urlsafety.approved_addresses``), never to a second resolution of the name
  (DNS rebinding).  The ``Host`` header, TLS SNI and certificate verification
  keep the original host name.  No proxies from the environment; a caller
  that lets requests follow redirects gets at most ``MAX_REDIRECTS``, each hop
  checked and pinned by the same adapter (ours pass ``allow_redirects=False``
  and follow by hand).
- ``send_following_redirects``: redirects followed by hand, each target checked
  by the caller, credentials dropped on another origin.
- ``parse_retry_after``, ``status_failure``, ``transport_failure``: what an
  answer or an exception means (transient or permanent), as plain values; each
  adapter words its own errors from them.
"""

import logging
import math
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..lib.urlsafety import UnsafeURLError, approved_addresses

_logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 10.0
MESSAGE_LIMIT = 300
# status_failure kinds that are worth trying again later
TRANSIENT_STATUS = ("rate_limited", "unavailable")
TRANSIENT_TRANSPORT = ("connect_timeout", "read_timeout", "connection")


class UnsafeTargetError(requests.exceptions.InvalidURL):
    """The pinned transport refused to connect: the URL's address is not safe."""


class RedirectLimitError(requests.exceptions.TooManyRedirects):
    """More redirects than allowed."""


# --------------------------------------------------------------------------- pinning


class PinnedAdapter(HTTPAdapter):
    """Connects to an address ``approved_addresses`` returned for the request's URL.

    The URL is checked when the connection is chosen, once per request (and
    redirect hop); the pool is keyed by that address and, for https, by the
    host name used for SNI and certificate matching (``server_hostname``,
    ``assert_hostname``), so verification is against the name, not the IP.
    """

    def __init__(self, allow_http_loopback=False, resolver=None, **kwargs):
        self.allow_http_loopback = bool(allow_http_loopback)
        self.resolver = resolver
        super().__init__(**kwargs)

    def _pinned_pool(self, url):
        parts = urlsplit(url)
        try:
            addresses = approved_addresses(
                url, allow_http_loopback=self.allow_http_loopback, resolver=self.resolver
            )
        except UnsafeURLError as exc:
            raise UnsafeTargetError(str(exc)) from None
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
        pool_kwargs = {}
        if scheme == "https":
            pool_kwargs = {"server_hostname": host, "assert_hostname": host}
        return self.poolmanager.connection_from_host(
            addresses[0], port=port, scheme=scheme, pool_kwargs=pool_kwargs
        )

    # requests < 2.32 asks for a connection by URL, later versions by request.
    def get_connection(self, url, proxies=None):
        return self._pinned_pool(url)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self._pinned_pool(request.url)

    def add_headers(self, request, **kwargs):
        # The pool's host is the IP address: name the site the URL names.
        request.headers["Host"] = urlsplit(request.url).netloc.rpartition("@")[2]


def pinned_session(allow_http_loopback=False, resolver=None):
    """A requests session for outbound calls: pinned, no environment proxies.

    ``allow_http_loopback``: the developer setting (loopback over http, for
    simulators); ``resolver(host, port)``: the name resolution (default: the
    system's), injected by tests.
    """
    session = requests.Session()
    session.trust_env = False  # a proxy would resolve the name again, out of our sight
    # A cap for callers that let requests follow redirects.  Not 0: requests also
    # prepares the next hop of an unfollowed redirect and would raise at once.
    session.max_redirects = MAX_REDIRECTS
    adapter = PinnedAdapter(allow_http_loopback=allow_http_loopback, resolver=resolver)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --------------------------------------------------------------------------- plain helpers


def timeout_seconds(timeout):
    """One positive number of seconds (requests applies it to the connect and each read)."""
    timeout = float(timeout or DEFAULT_TIMEOUT)
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    return timeout


def origin(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def error_detail(response):
    """The other side's own explanation from a JSON error body, if any (shortened)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    text = body.get("message") or body.get("error_description") or body.get("error") or ""
    return str(text)[:MESSAGE_LIMIT]


def status_failure(status):
    """What a non-2xx status means: ``rate_limited`` (429) and ``unavailable``
    (5xx, 408) are transient; ``unauthorized`` (401, 403), ``redirect`` (3xx)
    and ``refused`` (other 4xx) are permanent."""
    if status == 429:
        return "rate_limited"
    if status >= 500 or status == 408:
        return "unavailable"
    if status in (401, 403):
        return "unauthorized"
    if 300 <= status < 400:
        return "redirect"
    return "refused"


def transport_failure(exc):
    """What a requests exception means: ``unsafe_url`` (permanent), ``connect_timeout``,
    ``read_timeout``, ``connection`` (transient) or ``request`` (permanent)."""
    if isinstance(exc, UnsafeTargetError):
        return "unsafe_url"
    if isinstance(exc, requests.ConnectTimeout):
        return "connect_timeout"
    if isinstance(exc, requests.Timeout):
        return "read_timeout"
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return "connection"
    return "request"


def send_following_redirects(
    session,
    method,
    url,
    *,
    check,
    timeout,
    auth_headers=None,
    headers=None,
    max_redirects=MAX_REDIRECTS,
    **kwargs,
):
    """Send, following at most ``max_redirects`` redirects by hand; the last answer.

    ``check(url)`` runs on each redirect target before it is called (and raises
    the caller's error); ``auth_headers`` go to the first URL's origin only.
    A 303, or a 301/302 answering a POST, turns the next call into a body-less
    GET.  Raises the requests exceptions of the transport, and
    ``RedirectLimitError`` after too many redirects.
    """
    first_origin = origin(url)
    for hop in range(max_redirects + 1):
        send_headers = dict(headers or {})
        if origin(url) == first_origin:
            # Like browsers and requests: credentials never follow to another origin.
            send_headers.update(auth_headers or {})
        started = time.monotonic()
        response = session.request(
            method, url, headers=send_headers, timeout=timeout, allow_redirects=False, **kwargs
        )
        _logger.debug(
            "%s %s -> HTTP %s (%.0f ms)",
            method,
            urlsplit(url).path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if not (response.is_redirect and response.headers.get("Location")):
            return response
        location = urljoin(url, response.headers["Location"])
        response.close()
        if hop == max_redirects:
            break
        check(location)
        if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
            method = "GET"
            kwargs.pop("json", None)
            kwargs.pop("data", None)
        kwargs.pop("params", None)  # the query, if any, is in the Location
        url = location
    raise RedirectLimitError(f"more than {max_redirects} redirects")
