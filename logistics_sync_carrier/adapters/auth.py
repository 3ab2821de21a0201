# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How an adapter authenticates at the carrier, and OAuth2 client-credentials tokens.

``CarrierAuth`` holds the settings (its repr masks every secret).
``TokenCache`` keeps access tokens until shortly before they expire, keyed by
the caller's scope (the database and the endpoint: two databases never share a
token, unlike a cache keyed by credentials only) and a hash of everything that
identifies the token (token URL, client id and secret, OAuth scope), so a
changed secret never reuses an old token.
"""

import hashlib
import threading
import time
from dataclasses import dataclass

AUTH_TYPES = ("none", "basic", "bearer", "api_key", "oauth2")
TOKEN_MARGIN = 30  # seconds: an OAuth token is renewed this long before it expires
DEFAULT_TOKEN_LIFETIME = 300


@dataclass(repr=False)
class CarrierAuth:
    """How to authenticate at the carrier.  The repr masks every secret."""

    auth_type: str = "none"
    username: str | None = None
    password: str | None = None
    token: str | None = None
    api_key_header: str = "X-Api-Key"
    api_key: str | None = None
    oauth_token_url: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_scope: str | None = None

    def __post_init__(self):
        self.auth_type = self.auth_type or "none"
        if self.auth_type not in AUTH_TYPES:
            raise ValueError(f"unknown auth_type {self.auth_type!r}; use one of {AUTH_TYPES}")
        self.api_key_header = self.api_key_header or "X-Api-Key"

    def __repr__(self):
        def mask(value):
            return "'***'" if value else "None"

        return (
            f"CarrierAuth(auth_type={self.auth_type!r}, username={self.username!r}, "
            f"password={mask(self.password)}, token={mask(self.token)}, "
            f"api_key_header={self.api_key_header!r}, api_key={mask(self.api_key)}, "
            f"oauth_token_url={self.oauth_token_url!r}, "
            f"oauth_client_id={self.oauth_client_id!r}, "
            f"oauth_client_secret={mask(self.oauth_client_secret)}, "
            f"oauth_scope={self.oauth_scope!r})"
        )

    __str__ = __repr__

    def secrets(self):
        """The secret values, to scrub them from any text shown or logged."""
        return [
            value
            for value in (self.password, self.token, self.api_key, self.oauth_client_secret)
            if value
        ]


class TokenCache:
    """Access tokens by (scope, credentials), each until its expiry (thread-safe)."""

    def __init__(self):
        self._tokens = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(scope, auth):
        parts = (
            scope,
            auth.oauth_token_url,
            auth.oauth_client_id,
            auth.oauth_client_secret,
            auth.oauth_scope,
        )
        return hashlib.sha256("\x00".join(str(p or "") for p in parts).encode()).hexdigest()

    def get(self, key, fresh_only=True):
        """The token under ``key`` (None when absent, or expired if ``fresh_only``)."""
        with self._lock:
            entry = self._tokens.get(key)
        if entry is None or (fresh_only and entry[1] <= time.monotonic()):
            return None
        return entry[0]

    def put(self, key, token, expires_in):
        """Keep ``token`` until ``TOKEN_MARGIN`` seconds before it expires."""
        try:
            lifetime = float(expires_in or DEFAULT_TOKEN_LIFETIME)
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN))

    def forget(self, key):
        with self._lock:
            self._tokens.pop(key, None)


# One per process: entries are keyed per database and endpoint (``scope``).
tokens = TokenCache()
