# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The SSRF check of outbound URLs (logistics_sync_base/lib/urlsafety.py), no network.

Host names resolve through an injected resolver; IP literals need none.
"""

import pytest
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
