"""Webhook signatures: Standard Webhooks v1 and the schemes providers use.

Every scheme is configuration (``SignatureConfig``, built once per endpoint into
the cached webhook snapshot), never code:

- ``standard_webhooks``: https://www.standardwebhooks.com (v1: base64 HMAC-SHA256 of
  ``{webhook-id}.{webhook-timestamp}.{body}``), over the raw body bytes, after the
  endpoint's own timestamp window; a correctly signed body that is not UTF-8 is then
  refused as "not JSON" (400), never as a wrong signature (the tests check the
  result against the ``standardwebhooks`` package);
- ``hmac``: HMAC (SHA-256, SHA-1 or SHA-512) of the raw body, hex or base64, in a
  named header, with an optional value prefix (``sha256=``, ``hmac-sha256-hex=``);
  optionally a timestamp in the signed string (``{timestamp}.{body}``), sent in its
  own header or inside the signature header (``t=<unix>,v1=<signature>``);
- ``digest_secret``: a plain digest of body + separator + secret (17TRACK:
  ``sha256(body + "/" + key)``);
- ``token``: the secret itself in a header the provider lets you set.

All comparisons run in constant time (``hmac.compare_digest``), against the
current secret and, during a rotation, the previous one.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

MAX_TOLERANCE = 300
SCHEMES = {
    "standard_webhooks": "Standard Webhooks v1",
    "hmac": "HMAC of the body (optionally with a timestamp)",
    "digest_secret": "Digest of body + separator + secret (17TRACK)",
    "token": "Shared secret sent in a header",
}
ALGORITHMS = {"sha256": "SHA-256", "sha1": "SHA-1", "sha512": "SHA-512"}
TIMESTAMPS = {
    "none": "No timestamp",
    "header": "In its own header",
    "in_signature": "In the signature header (t=<unix>,v1=<signature>)",
}


class SignatureError(Exception):
    """The request is not signed by the endpoint (answered 401)."""


@dataclass(frozen=True, kw_only=True)
class SignatureConfig:
    """How an endpoint's sender signs its requests (plain values, no secret)."""

    scheme: str = "standard_webhooks"
    header: str = ""
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    timestamp: str = "none"
    timestamp_header: str = ""
    template: str = "{timestamp}.{body}"
    separator: str = "/"
    tolerance: int = MAX_TOLERANCE


def check_config(config):
    """Raise ValueError when ``config`` cannot verify anything (checked on save)."""
    if config.scheme not in SCHEMES:
        raise ValueError(f"unknown signature scheme {config.scheme!r}")
    if config.scheme == "standard_webhooks":
        return
    if not config.header:
        raise ValueError("the signature header is required")
    if config.algorithm not in ALGORITHMS or config.encoding not in ("hex", "base64"):
        raise ValueError("unknown algorithm or encoding")
    if config.scheme == "hmac" and config.timestamp != "none":
        if "{body}" not in config.template or "{timestamp}" not in config.template:
            raise ValueError("the signed-string template needs {timestamp} and {body}")
        if config.timestamp == "header" and not config.timestamp_header:
            raise ValueError("the timestamp header is required")


def generate_secret():
    """A new signing secret in the ``whsec_<base64>`` format (32 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret, scheme):
    """Raise ValueError when ``secret`` cannot be used by ``scheme``."""
    if not secret or secret != secret.strip():
        raise ValueError("the secret is empty or has spaces around it")
    if scheme == "standard_webhooks":
        encoded = secret.removeprefix("whsec_")
        try:
            decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not secret.startswith("whsec_") or len(decoded) < 16:
            raise ValueError("a Standard Webhooks secret is whsec_ followed by base64") from None


def _standard_key(secret):
    """The HMAC key of a Standard Webhooks secret (``whsec_`` + base64, padding optional)."""
    encoded = secret.removeprefix("whsec_")
    key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    if not key:
        raise ValueError("empty secret")
    return key


def _standard_v1(secret, msg_id, timestamp, body):
    """``v1,<base64>``: HMAC-SHA256 of ``{msg_id}.{timestamp}.`` + the body bytes."""
    body = body if isinstance(body, bytes) else body.encode()
    message = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(_standard_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret, msg_id, timestamp, body):
    """``v1,<base64>`` Standard Webhooks signature of ``body`` (str or raw bytes);
    for senders and tests."""
    return _standard_v1(secret, msg_id, timestamp, body)


def sign_headers(secret, msg_id, body, timestamp=None):
    """The three Standard Webhooks headers for ``body``."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def _lowered(headers):
    return {k.lower(): v for k, v in headers.items()}


def _check_window(stamp, tolerance, now, name):
    try:
        sent_at = int(str(stamp).strip())
    except ValueError:
        raise SignatureError(f"{name} is not Unix seconds") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > min(int(tolerance), MAX_TOLERANCE):
        raise SignatureError(f"{name} is outside the accepted window")
    return sent_at


def _candidates(secrets_):
    candidates = [s for s in secrets_ if s]
    if not candidates:
        raise SignatureError("the endpoint has no signing secret")
    return candidates


def verify(secrets_, headers, body, tolerance=MAX_TOLERANCE, now=None):
    """Check a Standard Webhooks signature against one or more secrets.

    The window is the endpoint's (at most 300 s, checked here first, against
    ``now`` when given); then the v1 HMAC of the raw body bytes, compared in constant
    time with every signature of the header, once per secret.
    """
    lowered = _lowered(headers)
    if not all(lowered.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature")):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    sent_at = _check_window(lowered["webhook-timestamp"], tolerance, now, "webhook-timestamp")
    # Signed over the raw bytes: whether they are UTF-8 JSON is the caller's next check.
    received = [v.encode() for v in lowered["webhook-signature"].split(" ") if v]
    for secret in _candidates(secrets_):
        try:
            expected = _standard_v1(secret, lowered["webhook-id"], sent_at, body).encode()
        except (binascii.Error, ValueError):
            continue  # a malformed stored secret
        if any(hmac.compare_digest(expected, value) for value in received):
            return True
    raise SignatureError("signature does not match")


def _decode(value, encoding):
    try:
        if encoding == "hex":
            return bytes.fromhex(value)
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _encode(digest, encoding):
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def _header_value(config, lowered):
    value = (lowered.get(config.header.lower()) or "").strip()
    if not value:
        raise SignatureError(f"missing {config.header} header")
    return value


def _strip_prefix(value, prefix, header):
    if not prefix:
        return value
    if not value.lower().startswith(prefix.lower()):
        raise SignatureError(f"{header} does not start with {prefix}")
    return value[len(prefix) :]


def _received_hmacs(config, lowered, now):
    """``(signed timestamp or None, [received digests])`` of an ``hmac`` request."""
    value = _header_value(config, lowered)
    stamp = None
    if config.timestamp == "in_signature":
        values = []
        for part in value.split(","):
            key, _sep, item = part.strip().partition("=")
            if key == "t":
                stamp = item
            elif key == "v1" and item:
                values.append(item)
        if stamp is None or not values:
            raise SignatureError(f"{config.header} has no t=<unix>,v1=<signature> pair")
    else:
        values = [_strip_prefix(value, config.prefix, config.header)]
        if config.timestamp == "header":
            stamp = (lowered.get(config.timestamp_header.lower()) or "").strip()
            if not stamp:
                raise SignatureError(f"missing {config.timestamp_header} header")
    if stamp is not None:
        _check_window(stamp, config.tolerance, now, "the timestamp")
    received = [digest for digest in (_decode(v, config.encoding) for v in values) if digest]
    if not received:
        raise SignatureError(f"{config.header} is not {config.encoding}")
    return stamp, received


def signed_message(config, body, stamp=None):
    """The bytes an ``hmac`` sender signs: the body, or the template filled in."""
    if stamp is None or config.timestamp == "none":
        return body
    head, _sep, tail = config.template.partition("{body}")
    return head.replace("{timestamp}", stamp).encode() + body + tail.encode()


def compute(config, secret, body, stamp=None):
    """The signature value a sender puts in ``config.header`` (prefix included);
    for tests, presets and the documentation."""
    body = body if isinstance(body, bytes) else body.encode()
    if config.scheme == "token":
        return config.prefix + secret
    if config.scheme == "digest_secret":
        digest = hashlib.new(config.algorithm, body + config.separator.encode() + secret.encode())
        return config.prefix + _encode(digest.digest(), config.encoding)
    message = signed_message(config, body, stamp)
    digest = hmac.new(secret.encode(), message, config.algorithm).digest()
    if config.timestamp == "in_signature":
        return f"t={stamp},v1={_encode(digest, config.encoding)}"
    return config.prefix + _encode(digest, config.encoding)


def verify_config(config, secrets_, headers, body, now=None):
    """Check a request against the endpoint's ``SignatureConfig``; True or SignatureError."""
    if config.scheme == "standard_webhooks":
        return verify(secrets_, headers, body, tolerance=config.tolerance, now=now)
    body = body if isinstance(body, bytes) else body.encode()
    lowered = _lowered(headers)
    if config.scheme == "token":
        value = _strip_prefix(_header_value(config, lowered), config.prefix, config.header)
        for secret in _candidates(secrets_):
            if hmac.compare_digest(secret.encode(), value.encode()):
                return True
        raise SignatureError(f"{config.header} does not hold the endpoint's secret")
    if config.scheme == "digest_secret":
        value = _strip_prefix(_header_value(config, lowered), config.prefix, config.header)
        received = _decode(value, config.encoding)
        if received is None:
            raise SignatureError(f"{config.header} is not {config.encoding}")
        for secret in _candidates(secrets_):
            expected = hashlib.new(
                config.algorithm, body + config.separator.encode() + secret.encode()
            ).digest()
            if hmac.compare_digest(expected, received):
                return True
        raise SignatureError(f"no valid signature in {config.header}")
    stamp, received = _received_hmacs(config, lowered, now)
    message = signed_message(config, body, stamp)
    for secret in _candidates(secrets_):
        expected = hmac.new(secret.encode(), message, config.algorithm).digest()
        if any(hmac.compare_digest(expected, digest) for digest in received):
            return True
    raise SignatureError(f"no valid {ALGORITHMS[config.algorithm]} HMAC in {config.header}")
