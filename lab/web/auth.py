"""Who is calling: API tokens (Bearer), signed session cookies, roles, CSRF, login rate limit.

Sessions are ``itsdangerous``-signed cookies holding the account name and a
CSRF token (HttpOnly, SameSite=Lax, valid for :data:`SESSION_MAX_AGE_S`); the
account is looked up on every request, so disabling it ends its sessions.
Every form carries the session's CSRF token and a POST without it is refused.
Failed logins are counted per (account, client address) in this process's
memory: after :data:`LOGIN_MAX_FAILURES` failures in :data:`LOGIN_WINDOW_S`
seconds, that pair is refused until the window has passed (a restart forgets).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer

from datastore import Datastore
from lab.review.accounts import Role, User
from lab.services import accounts as account_service
from lab.web.errors import ApiError

SESSION_COOKIE = "dbtl_session"
SESSION_MAX_AGE_S = 12 * 3600
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_S = 300.0

bearer = HTTPBearer(auto_error=False, description="`dbtl user token NAME` prints one")


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the account and the CSRF token of its forms."""

    user: User
    csrf: str


class SessionSigner:
    """Signs and reads session cookies with one secret key."""

    def __init__(self, secret_key: str) -> None:
        """Create a signer; ``secret_key`` must stay the same for sessions to survive restarts."""
        self._serializer = URLSafeTimedSerializer(secret_key, salt="dbtl-session")

    def cookie(self, name: str) -> tuple[str, str]:
        """A new session cookie value for account ``name``, and its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        return self._serializer.dumps({"name": name, "csrf": csrf}), csrf

    def read(self, value: str) -> tuple[str, str] | None:
        """(account name, CSRF token) of a valid cookie, else ``None``."""
        try:
            data = self._serializer.loads(value, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        name, csrf = data.get("name"), data.get("csrf")
        return (name, csrf) if isinstance(name, str) and isinstance(csrf, str) else None


class LoginLimiter:
    """Counts failed logins per (account, client) in memory; see the module docstring."""

    def __init__(
        self, max_failures: int = LOGIN_MAX_FAILURES, window_s: float = LOGIN_WINDOW_S
    ) -> None:
        """Create a limiter."""
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str, client: str) -> bool:
        """Whether this pair has failed too often lately."""
        with self._lock:
            return len(self._recent((name, client))) >= self.max_failures

    def failed(self, name: str, client: str) -> None:
        """Count one failed attempt."""
        with self._lock:
            self._recent((name, client)).append(time.monotonic())

    def succeeded(self, name: str, client: str) -> None:
        """Forget the pair's failures."""
        with self._lock:
            self._failures.pop((name, client), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] < time.monotonic() - self.window_s:
            times.popleft()
        return times


def store_of(request: Request) -> Datastore:
    """The app's datastore."""
    store: Datastore = request.app.state.store
    return store


def api_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """The account of the request's Bearer token.

    Raises:
        ApiError: 401 without a token, or with an unknown or disabled one.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "send 'Authorization: Bearer <token>' (`dbtl user token NAME` makes one)",
            "Authorization",
        )
    user = account_service.for_token(store_of(request), credentials.credentials.strip())
    if user is None:
        raise ApiError(401, "unknown or disabled API token", "Authorization")
    return user


def require(role: Role) -> Callable[..., User]:
    """A dependency: the caller's account, which must hold ``role`` or above (else 403)."""

    def dependency(user: Annotated[User, Depends(api_user)]) -> User:
        if not user.may(role):
            raise ApiError(
                403, f"account {user.name!r} is a {user.role.name}; this needs {role.name} or above"
            )
        return user

    return dependency


def browser_session(request: Request) -> Session | None:
    """The signed-in session of a browser request, or ``None``."""
    value = request.cookies.get(SESSION_COOKIE)
    signer: SessionSigner = request.app.state.signer
    read = signer.read(value) if value else None
    if read is None:
        return None
    user = account_service.named(store_of(request), read[0])
    return Session(user, read[1]) if user else None


def csrf_ok(session: Session, token: str | None) -> bool:
    """Whether a form's CSRF token is the session's."""
    return bool(token) and hmac.compare_digest(session.csrf, token or "")
