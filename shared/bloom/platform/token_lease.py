"""A third-party API's access token, cached in Firestore for every instance, refreshed by one instance at a time.

`TokenLease(name, issue, unavailable=…)` keeps the token in `cachedTokens/{name}` until shortly before it expires.
When it is missing or expired, the first instance takes a lease (`refreshing_until`, in a transaction) and asks
`issue()` for a new one; the others poll for its token and take over only when the lease lapses. So N concurrent
callers on any number of instances make one token request. `call(send)` sends with the cached token and, when the
API refuses it (`send` raises `TokenRejected`), drops it and tries once more with a fresh one. `oauth_token` reads
an OAuth2 token answer (`access_token`, `expires_in`) as an `IssuedToken`.

Simplybook's admin token, Zoom's Server-to-Server OAuth token and Optum's OAuth token use it. Tokens never reach a
log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.cached_tokens import CachedTokenRecord, CachedTokensWork

T = TypeVar("T")
REFRESH_LEASE = timedelta(seconds=30)
WAIT_FOR_REFRESH_S = 10.0
POLL_S = 0.25
OAUTH_MARGIN = timedelta(minutes=5)  # an OAuth2 token is used until this long before the `expires_in` announced
_log = get_logger(__name__)


@dataclass(frozen=True)
class IssuedToken:
    """A token as its issuer answered it, and how long we may use it (its lifetime less a safety margin)."""

    token: str
    usable_for: timedelta


class _OAuthAnswer(BaseModel):
    access_token: str
    expires_in: int


def oauth_token(answer: Any, name: str, *, refused: Callable[[str], Exception]) -> IssuedToken:
    """An OAuth2 token endpoint's JSON answer as the token, usable until `OAUTH_MARGIN` before it expires (at once
    expired when it lives less); an answer without a token and its lifetime raises `refused`."""
    try:
        parsed = _OAuthAnswer.model_validate(answer)
    except ValidationError:
        raise refused(f"{name} answered no usable token") from None
    return IssuedToken(parsed.access_token, max(timedelta(seconds=parsed.expires_in) - OAUTH_MARGIN, timedelta(0)))


class TokenRejected(Exception):
    """The API refused the token it was sent (401): revoked, or expired earlier than announced."""


class TokenLease:
    """The shared token of one API. `unavailable` builds the caller's "try again later" error (raised when
    another instance's refresh does not finish in time) and `refused` the one for a fresh token refused too."""

    def __init__(
        self,
        name: str,
        issue: Callable[[], IssuedToken],
        *,
        unavailable: Callable[[str], Exception],
        refused: Callable[[str], Exception],
    ) -> None:
        self.name, self.issue, self.unavailable, self.refused = name, issue, unavailable, refused

    def token(self) -> str:
        """The cached token, or a fresh one."""
        with CachedTokensWork() as uow:
            record = uow.tokens.get(self.name)
        return (record.usable(utcnow()) if record else None) or self.refreshed()

    def refreshed(self) -> str:
        """A token no older than this call's start, unless another instance refreshed it meanwhile."""
        deadline = time.monotonic() + WAIT_FOR_REFRESH_S
        while True:
            token, leased = self._take_lease()
            if token is not None:
                return token
            if leased:
                return self._refresh()
            if time.monotonic() > deadline:
                raise self.unavailable(f"{self.name} token refresh by another instance did not finish")
            time.sleep(POLL_S)

    def drop(self, token: str) -> None:
        """Forget a token the API refused, unless another instance already replaced it."""

        def work(uow: CachedTokensWork) -> None:
            record = uow.tokens.get(self.name)
            if record is not None and record.token == token:
                uow.tokens.save(self.name, record.model_copy(update={"token": None, "expires_at": None}))

        CachedTokensWork.run_in_transaction(work)

    def call(self, send: Callable[[str], T]) -> T:
        """`send(token)` with the cached token; once more with a fresh one when it raises `TokenRejected`."""
        token = self.token()
        try:
            return send(token)
        except TokenRejected:
            self.drop(token)
        try:
            return send(self.refreshed())
        except TokenRejected:
            raise self.refused(f"{self.name} refused a fresh token") from None

    def _take_lease(self) -> tuple[str | None, bool]:
        """(a usable token, False) if one is cached by now; else (None, whether this instance got the lease)."""

        def work(uow: CachedTokensWork) -> tuple[str | None, bool]:
            now = utcnow()
            record = uow.tokens.get(self.name)
            token = record.usable(now) if record else None
            if token is not None:
                return token, False
            if record is not None and record.refreshing_until is not None and record.refreshing_until > now:
                return None, False
            kept = record or CachedTokenRecord()
            uow.tokens.save(self.name, kept.model_copy(update={"refreshing_until": now + REFRESH_LEASE}))
            return None, True

        return CachedTokensWork.run_in_transaction(work)

    def _refresh(self) -> str:
        try:
            issued = self.issue()
        except Exception:
            with CachedTokensWork() as uow:
                uow.tokens.change(self.name, refreshing_until=None)  # another instance may try now
            raise
        record = CachedTokenRecord(token=issued.token, expires_at=utcnow() + issued.usable_for, refreshing_until=None)
        with CachedTokensWork() as uow:
            uow.tokens.save(self.name, record)
        _log.info("api token refreshed", extra={"api": self.name})
        return issued.token
