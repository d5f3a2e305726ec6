"""What HTTP entry points declare with: the platform's `http_function` bound to the users area's callers.

The platform toolkit knows nothing of Bloom users; this module tells it how to resolve the caller of a route
(a verified Firebase token whose account has a live Bloom user, with the role the route needs) and gives
handlers a context whose `caller` is typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from bloom.platform import http
from bloom.platform.auth import FORBIDDEN, MISSING_TOKEN, bearer_token, verify_token
from bloom.platform.registry import Role
from bloom.users.errors import ID_TOKEN_REVOKED, NOT_A_BLOOM_USER, USER_DISABLED

if TYPE_CHECKING:
    from bloom.platform.store.unit_of_work import Fetched
    from bloom.users.schemas import Caller, UserRecord

BodyT = TypeVar("BodyT", bound=BaseModel)
QueryT = TypeVar("QueryT", bound=BaseModel)


def _no_hook(uid: str) -> None:
    """What a caller that starts nothing once the token is verified passes."""


def authenticate(
    headers: Mapping[str, str], role: Role, on_verified: Callable[[str], None] = _no_hook
) -> Caller | None:
    """Resolve the caller for a role: 401 for token problems or no Bloom user, 403 for a missing role.

    `on_verified(uid)` runs once the token is verified, before the user is read (the toolkit's per-user limits)."""
    from bloom.users import service as users

    return _authenticate(headers, role, lambda uid: (users.record_of(uid), None), on_verified)


def authenticate_with_profile(
    headers: Mapping[str, str], role: Role, on_verified: Callable[[str], None] = _no_hook
) -> Caller | None:
    """`authenticate`, reading with the user, in the same round trip, what their profile needs besides."""
    from bloom.accounts import service as accounts

    return _authenticate(headers, role, accounts.caller_records, on_verified)


def _authenticate(
    headers: Mapping[str, str],
    role: Role,
    lookup: Callable[[str], tuple[UserRecord | None, Fetched | None]],
    on_verified: Callable[[str], None],
) -> Caller | None:
    if role in (Role.PUBLIC, Role.WEBHOOK):
        return None
    # Imported here: public routes (and their cold start) never need the users area's schemas.
    from bloom.users.schemas import Caller

    claims = verify_token(bearer_token(headers))
    uid = str(claims["uid"])
    on_verified(uid)
    user, prefetched = lookup(uid)
    if user is None:
        raise NOT_A_BLOOM_USER.error()
    _refuse_disabled(user, claims)
    caller = Caller(auth_uid=uid, claims=claims, user=user, prefetched=prefetched)
    if not caller.has_role(role):
        if role in PRACTICE_ROLES and caller.practice_second_factor_missing:
            from bloom.core.time import utcnow
            from bloom.identity import service as identity

            day = utcnow().date().isoformat()
            identity.record_auth_audit_once(
                f"second-factor-missing-{user.id}-{day}", "second_factor_missing", user.id, user.id
            )
        raise FORBIDDEN.error()
    return caller


def _refuse_disabled(user: UserRecord, claims: Mapping[str, object]) -> None:
    """401 for a disabled user, and for a token issued before the user's tokens were revoked. Checked against the
    user document every request reads anyway, so a disabled user's next request fails without asking Firebase
    (`verify_id_token(check_revoked=True)` would cost an Auth API call per request)."""
    if user.disabled_at is not None:
        raise USER_DISABLED.error()
    issued_at = claims.get("iat")
    valid_after = user.tokens_valid_after
    if valid_after is not None and (not isinstance(issued_at, int | float) or issued_at < valid_after.timestamp()):
        raise ID_TOKEN_REVOKED.error()


PRACTICE_ROLES = frozenset({Role.PRACTICE_USER, Role.THERAPIST, Role.PRACTICE_STAFF, Role.PRACTICE_ADMIN})


@dataclass(frozen=True)
class HttpContext(http.HttpContext[BodyT, QueryT]):
    @property
    def caller(self) -> Caller:
        from bloom.users.schemas import Caller

        if not isinstance(self.principal, Caller):
            raise MISSING_TOKEN.error()
        return self.principal


http_function = partial(http.http_function, authenticate=authenticate, context=HttpContext)
# For routes that show the caller's profile: the user document and the profile's catalogues in one read.
profile_http_function = partial(http.http_function, authenticate=authenticate_with_profile, context=HttpContext)
