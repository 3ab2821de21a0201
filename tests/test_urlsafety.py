# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The SSRF check of outbound URLs (logistics_sync_base/lib/urlsafety.py), no network,
and the pinned connections that use it (logistics_sync_base/adapters/http.py).

Host names resolve through an injected resolver (or a patched system resolver);
IP literals need none.
"""

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standalone import addon_module

urlsafety = addon_module("logistics_sync_base.lib.urlsafety")
check_url = urlsafety.check_url
UnsafeURLError = urlsafety.UnsafeURLError

PUBLIC = "93.184.216.34"


def resolver_for(*addresses):
    calls = []

    def resolve(host, port):
        calls.append((host, port))
        return list(addresses)

    resolve.calls = calls
    return resolve


def refused(url, **kwargs):
    with pytest.raises(UnsafeURLError) as info:
        check_url(url, **kwargs)
    return str(info.value)


def test_public_https_is_accepted_and_resolved_with_the_port():
    resolve = resolver_for(PUBLIC, "2606:2800:220:1:248:1893:25c8:1946")
    assert check_url("https://carrier.example/api", resolver=resolve) is None
    assert check_url("https://carrier.example:8443/api", resolver=resolve) is None
    assert resolve.calls == [("carrier.example", 443), ("carrier.example", 8443)]
    assert check_url(f"https://{PUBLIC}/v1") is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.5/x", "10.0.0.5 is a private address"),
        ("https://172.16.3.4/", "172.16.3.4 is a private address"),
        ("https://192.168.1.1/", "192.168.1.1 is a private address"),
        ("https://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("https://169.254.10.1/", "169.254.10.1 is a link-local address"),
        ("https://169.254.169.254/latest/meta-data", "cloud metadata"),
        ("https://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("https://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("https://240.0.0.1/", "240.0.0.1 is a"),
        ("https://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("https://[::1]/", "::1 is a loopback address"),
        ("https://[::]/", ":: is an unspecified address"),
        ("https://[fc00::1]/", "fc00::1 is a private address"),
        ("https://[fd12:3456::1]/", "fd12:3456::1 is a private address"),
        ("https://[fe80::1]/", "fe80::1 is a link-local address"),
        ("https://[ff02::1]/", "ff02::1 is a multicast address"),
        ("https://[::ffff:10.0.0.1]/", "carries 10.0.0.1, a private address"),
        ("https://[::ffff:169.254.169.254]/", "carries 169.254.169.254"),
        ("https://[2002:a00:1::1]/", "carries 10.0.0.1, a private address"),
        ("https://[64:ff9b::7f00:1]/", "carries 127.0.0.1, a loopback address"),
    ],
)
def test_internal_addresses_are_refused_with_the_url_and_the_reason(url, reason):
    message = refused(url)
    assert message.startswith(url.split("/latest")[0])
    assert " is refused: " in message
    assert reason in message


def test_every_resolved_address_counts():
    message = refused("https://carrier.example/x", resolver=resolver_for(PUBLIC, "10.1.2.3"))
    assert message == (
        "https://carrier.example/x is refused: carrier.example resolves to 10.1.2.3, "
        "which is a private address"
    )
    message = refused("https://carrier.example/", resolver=resolver_for("::ffff:192.168.0.7"))
    assert "carries 192.168.0.7, a private address" in message


def test_plain_http_is_refused_unless_loopback_with_the_developer_setting():
    assert "plain http is not allowed" in refused(f"http://{PUBLIC}/")
    assert "plain http is allowed for loopback hosts only" in refused(
        f"http://{PUBLIC}/", allow_http_loopback=True
    )
    # Without the setting, loopback is refused whatever the scheme.
    assert "127.0.0.1 is a loopback address" in refused("http://127.0.0.1:8069/")
    assert "loopback" in refused("http://localhost/", resolver=resolver_for("127.0.0.1"))
    # With it, loopback is accepted over http and https, and nothing private is.
    assert check_url("http://127.0.0.1:8069/", allow_http_loopback=True) is None
    assert check_url("https://[::1]:8443/", allow_http_loopback=True) is None
    assert check_url("http://[::ffff:127.0.0.1]/", allow_http_loopback=True) is None
    loopback = resolver_for("127.0.0.1", "::1")
    assert check_url("http://localhost:8/", allow_http_loopback=True, resolver=loopback) is None
    assert "10.0.0.1 is a private address" in refused("http://10.0.0.1/", allow_http_loopback=True)
    assert "private" in refused(
        "http://mixed.test/",
        allow_http_loopback=True,
        resolver=resolver_for("127.0.0.1", "10.0.0.1"),
    )


def test_credentials_in_the_url_are_refused_and_not_repeated():
    message = refused("https://admin:hunter2secret@carrier.example/v1?token=abc")
    assert "credentials in the URL" in message
    assert "hunter2secret" not in message
    assert "admin" not in message
    assert "abc" not in message
    assert "user-only" not in refused("https://user-only@carrier.example/")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://carrier.example/", "only https URLs are allowed, not ftp"),
        ("file:///etc/passwd", "only https URLs are allowed, not file"),
        ("gopher://127.0.0.1:25/", "only https URLs are allowed"),
        ("carrier.example/v1", "without scheme"),
        ("https:///v1", "it has no host"),
        ("https://carrier.example:99999/", "its port is not valid"),
    ],
)
def test_malformed_urls_are_refused(url, reason):
    assert reason in refused(url, resolver=resolver_for(PUBLIC))


def test_unresolvable_hosts_are_refused():
    def failing(host, port):
        raise OSError("Name or service not known")

    message = refused("https://nowhere.invalid/x", resolver=failing)
    assert message == "https://nowhere.invalid/x is refused: cannot resolve nowhere.invalid"
    assert "cannot resolve" in refused("https://empty.test/", resolver=resolver_for())
    assert "cannot resolve" in refused("https://junk.test/", resolver=resolver_for("not-an-ip"))


def test_empty_url_is_refused():
    with pytest.raises(UnsafeURLError, match="empty URL"):
        check_url("")
    with pytest.raises(UnsafeURLError, match="empty URL"):
        check_url(None)


def test_unsafe_url_error_is_a_value_error():
    assert issubclass(UnsafeURLError, ValueError)


# --------------------------------------------------------------------------- pinned connections
# logistics_sync_base/adapters/http.py: outbound HTTP connects to an address the
# check approved, from one resolution.  Real servers on 127.0.0.1, the real
# transport; only the name resolution is played by the test.

http = addon_module("logistics_sync_base.adapters.http")


class Recorder(ThreadingHTTPServer):
    """A loopback HTTP(S) server counting TCP connections and recording requests."""

    daemon_threads = True

    def __init__(self, tls_context=None):
        self.accepted = 0
        self.seen = []
        self.tls_context = tls_context
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.seen.append({"path": self.path, "host": self.headers.get("Host")})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1})
        self.thread.start()

    def get_request(self):
        sock, address = super().get_request()
        self.accepted += 1
        if self.tls_context is not None:
            sock = self.tls_context.wrap_socket(sock, server_side=True)
        return sock, address

    def handle_error(self, request, client_address):
        """A refused TLS handshake is part of some tests."""

    def close(self):
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def dns(monkeypatch):
    """The system resolver answers ``answers[name]`` in turn (the last one repeats);
    other names and IP literals resolve as usual.  ``asked`` counts the questions."""
    real = socket.getaddrinfo
    answers, asked = {}, {}

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, *args, **kwargs)
        asked[name] = asked.get(name, 0) + 1
        queue = answers[name]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, asked


def test_rebinding_name_never_reaches_the_loopback_address(recorder, dns):
    answers, asked = dns
    # Public when the check asks, loopback for whoever asks next (DNS rebinding).
    answers["rebind.test"] = [PUBLIC, "127.0.0.1"]
    url = f"https://rebind.test:{recorder.port}/internal"
    session = http.pinned_session(allow_http_loopback=False)
    with pytest.raises(requests.ConnectionError):  # the public address: unreachable here
        session.get(url, timeout=1)
    assert recorder.accepted == 0  # the loopback server was never connected to
    assert recorder.seen == []
    assert asked == {"rebind.test": 1}  # one resolution: the one that was checked
    # A second call resolves again and checks again: the loopback answer is refused.
    with pytest.raises(http.UnsafeTargetError) as info:
        session.get(url, timeout=1)
    assert "rebind.test resolves to 127.0.0.1, which is a loopback address" in str(info.value)
    assert http.transport_failure(info.value) == "unsafe_url"
    assert asked == {"rebind.test": 2}
    assert recorder.accepted == 0


def test_pinned_call_reaches_the_checked_address_with_the_host_header(recorder):
    resolve = resolver_for("127.0.0.1")
    session = http.pinned_session(allow_http_loopback=True, resolver=resolve)
    response = session.get(f"http://carrier.test:{recorder.port}/v1/ping?x=1", timeout=5)
    assert (response.status_code, response.text) == (200, "ok")
    assert recorder.seen == [{"path": "/v1/ping?x=1", "host": f"carrier.test:{recorder.port}"}]
    assert resolve.calls == [("carrier.test", recorder.port)]
    # Without the developer setting, the same name is refused before any connection.
    strict = http.pinned_session(resolver=resolve)
    with pytest.raises(http.UnsafeTargetError, match="loopback"):
        strict.get(f"http://carrier.test:{recorder.port}/v1/ping", timeout=5)
    assert recorder.accepted == 1


def _self_signed(tmp_path, name):
    """A certificate for ``name`` and its key, as files (the certificate is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / f"{name}.pem"
    key_path = tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_pinned_https_verifies_the_certificate_of_the_host_name(tmp_path):
    cert_path, key_path = _self_signed(tmp_path, "carrier.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = Recorder(tls_context=context)
    try:
        resolve = resolver_for("127.0.0.1")
        session = http.pinned_session(allow_http_loopback=True, resolver=resolve)
        session.verify = str(cert_path)
        response = session.get(f"https://carrier.test:{server.port}/track", timeout=5)
        assert (response.status_code, response.text) == (200, "ok")
        assert server.seen == [{"path": "/track", "host": f"carrier.test:{server.port}"}]
        # The same address under another name: the certificate does not match it.
        other = http.pinned_session(allow_http_loopback=True, resolver=resolve)
        other.verify = str(cert_path)
        with pytest.raises(requests.exceptions.SSLError):
            other.get(f"https://other.test:{server.port}/track", timeout=5)
        assert len(server.seen) == 1
    finally:
        server.close()


def test_carrier_client_resolves_once_and_connects_to_the_checked_address(recorder, dns):
    """The client's own check does not resolve: the pinned connection's resolution is
    the only one, and the address it checked is the one connected to."""
    adapters = addon_module("logistics_sync_carrier.adapters")
    answers, asked = dns
    # loopback for the first question, public for any later one (rebinding)
    answers["rebind-client.test"] = ["127.0.0.1", PUBLIC]
    client = adapters.RestCarrierClient(
        f"http://rebind-client.test:{recorder.port}",
        adapters.CarrierAuth(),
        timeout=2,
        allow_http_loopback=True,
    )
    with pytest.raises(adapters.CarrierError):  # the recorder answers "ok", not JSON
        client.track(["TRACK1"])
    assert asked == {"rebind-client.test": 1}
    assert recorder.accepted == 1
    assert recorder.seen[0]["host"] == f"rebind-client.test:{recorder.port}"
    assert recorder.seen[0]["path"].startswith("/v1/tracking?numbers=TRACK1")
