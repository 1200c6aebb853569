"""Who may do what in the browser: sign-in, sessions, CSRF tokens and security headers.

Reading needs no sign-in only while the server listens on loopback (the person at this
computer); on any other address every page asks for one, and the server refuses to start
without ``CAMPAIGN_WEB_PASSWORD``. Actions (cancel, retry, resolve) always need a signed-in
session and the session's CSRF token, sent only by POST.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign.errors import ConfigurationError
from campaign.settings import ENV_FILE

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
SIGN_IN_ATTEMPTS = 5  # failed sign-ins allowed per client in SIGN_IN_WINDOW seconds
SIGN_IN_WINDOW = 300.0


class WebSettings(BaseSettings):
    """The ``CAMPAIGN_WEB_*`` settings, from the environment or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPAIGN_WEB_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    password: SecretStr | None = None
    feed_token: SecretStr | None = None
    session_secret: SecretStr | None = None
    session_hours: float = Field(default=8.0, gt=0)
    secure_cookie: bool | None = None

    def signing_key(self) -> str:
        """The key that signs session cookies: the setting, else a new one per start (then a
        restart signs everybody out)."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value()
        return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, settings: WebSettings, *, require_sign_in: bool = False) -> None:
    """Refuse to serve on a non-loopback ``host`` (or with ``require_sign_in``) without a
    password.

    Raises :class:`ConfigurationError` saying what to set.
    """
    if require_sign_in and settings.password is None:
        raise ConfigurationError(
            "--require-sign-in needs a password to sign in with; set CAMPAIGN_WEB_PASSWORD"
        )
    if not is_loopback(host) and settings.password is None:
        raise ConfigurationError(
            f"campaign web on {host} would be open to the network without a password; set "
            "CAMPAIGN_WEB_PASSWORD (e.g. in /etc/campaign/env), or listen on 127.0.0.1 behind "
            "a reverse proxy"
        )


def same_secret(given: str, expected: SecretStr | None) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time (never when unset)."""
    if expected is None or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def new_csrf_token() -> str:
    """A fresh token tying forms to one session."""
    return secrets.token_urlsafe(32)


def csrf_ok(session_token: object, form_token: object) -> bool:
    """Whether the form's token is the session's (constant time)."""
    if not isinstance(session_token, str) or not isinstance(form_token, str) or not form_token:
        return False
    return hmac.compare_digest(session_token.encode(), form_token.encode())


class SignInLimiter:
    """At most ``SIGN_IN_ATTEMPTS`` failed sign-ins per client in ``SIGN_IN_WINDOW`` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def blocked_for(self, client: str) -> float:
        """Seconds until ``client`` may try again (0 when it may now)."""
        now = self._clock()
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return 0.0
            while failures and failures[0] <= now - SIGN_IN_WINDOW:
                failures.popleft()
            if len(failures) < SIGN_IN_ATTEMPTS:
                return 0.0
            return failures[0] + SIGN_IN_WINDOW - now

    def failed(self, client: str) -> None:
        """Count one failed sign-in by ``client``."""
        with self._lock:
            self._failures.setdefault(client, deque()).append(self._clock())

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures."""
        with self._lock:
            self._failures.pop(client, None)


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
