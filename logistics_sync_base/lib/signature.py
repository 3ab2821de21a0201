"""Standard Webhooks v1 signatures (https://www.standardwebhooks.com).

Signing is the ``standardwebhooks`` package's (secret decoding, HMAC-SHA256 of
``{id}.{timestamp}.{body}``); this module compares with ``hmac.compare_digest``
under the endpoint's own timestamp window (the package's is fixed at five
minutes and reads the clock itself), accepts a previous secret during rotation,
and turns every malformed header into one clear error.
"""

import base64
import binascii
import hmac
import secrets
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

MAX_TOLERANCE = 300


class SignatureError(Exception):
    """The request is not signed by the endpoint (answered 401)."""


def generate_secret():
    """A new signing secret in the ``whsec_<base64>`` format (32 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret, msg_id, timestamp, body):
    """``v1,<base64>`` signature of ``body`` (bytes or str); for senders and tests."""
    if isinstance(body, bytes):
        body = body.decode()
    when = datetime.fromtimestamp(int(timestamp), tz=UTC)
    return Webhook(secret).sign(msg_id, when, body)


def sign_headers(secret, msg_id, body, timestamp=None):
    """The three Standard Webhooks headers for ``body``."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(secrets_, headers, body, tolerance=MAX_TOLERANCE, now=None):
    """Check a Standard Webhooks signature against one or more secrets.

    ``secrets_``: the current secret and, during rotation, the previous one
    (falsy entries are skipped).  ``headers``: a mapping with the
    ``webhook-*`` headers (any case).  ``body``: the raw request body (bytes).
    Raises ``SignatureError`` with a reason safe to show to the sender.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signature = lowered.get("webhook-signature")
    if not (msg_id and stamp and signature):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not Unix seconds") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > min(int(tolerance), MAX_TOLERANCE):
        raise SignatureError("webhook-timestamp is outside the accepted window")
    try:
        text = body.decode() if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise SignatureError("body is not UTF-8") from None
    candidates = [s for s in secrets_ if s]
    if not candidates:
        raise SignatureError("the endpoint has no signing secret")
    received = []
    for entry in signature.split(" "):
        version, _sep, value = entry.partition(",")
        if version != "v1" or not value:
            continue
        try:
            received.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not received:
        raise SignatureError("no v1 signature in webhook-signature")
    when = datetime.fromtimestamp(sent_at, tz=UTC)
    for secret in candidates:
        try:
            expected = Webhook(secret).sign(msg_id, when, text).partition(",")[2]
        except (binascii.Error, ValueError):
            continue  # a malformed stored secret: try the next one
        expected_bytes = base64.b64decode(expected)
        if any(hmac.compare_digest(expected_bytes, sig) for sig in received):
            return True
    raise SignatureError("signature does not match")


def verify_hmac(secrets_, headers, body, header, encoding="hex"):
    """Check a plain HMAC-SHA256 of the raw body sent in the header ``header``.

    The scheme many carriers use: ``hex`` or ``base64`` of HMAC-SHA256(secret, body),
    optionally prefixed ``sha256=``.  The key is the secret string as UTF-8.  There
    is no timestamp: replays are absorbed by the event id's idempotency.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    value = (lowered.get((header or "").lower()) or "").strip()
    if not value:
        raise SignatureError(f"missing {header} header")
    if value.lower().startswith("sha256="):
        value = value[7:]
    candidates = [s for s in secrets_ if s]
    if not candidates:
        raise SignatureError("the endpoint has no signing secret")
    body = body if isinstance(body, bytes) else body.encode()
    received = value.lower().encode() if encoding == "hex" else value.encode()
    for secret in candidates:
        digest = hmac.new(secret.encode(), body, "sha256").digest()
        expected = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
        if hmac.compare_digest(expected.encode(), received):
            return True
    raise SignatureError(f"no valid HMAC-SHA256 signature in {header}")
