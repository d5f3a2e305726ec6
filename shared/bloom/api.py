"""HTTP functions as the entry points declare them: the platform's decorator bound to the users area's caller lookup."""

from __future__ import annotations

from bloom.core.errors import Forbidden, Unauthorized
from bloom.platform.auth import bearer_token, verify_token
from bloom.platform.registry import Role
from bloom.users.schemas import Caller

USER_NOT_FOUND = "USER_NOT_FOUND"


def authenticate(headers: dict[str, str], role: Role) -> Caller | None:
    """Resolve the caller for a role: 401 for token problems or no Bloom user, 403 for a missing role."""
    if role in (Role.PUBLIC, Role.WEBHOOK):
        return None
    claims = verify_token(bearer_token(headers))
    from bloom.users.repository import UsersRepository

    user = UsersRepository().get_by_auth_uid(str(claims["uid"]))
    if user is None or user.deleted_at is not None:
        raise Unauthorized(USER_NOT_FOUND)
    caller = Caller(auth_uid=str(claims["uid"]), claims=claims, user=user)
    if not caller.has_role(role):
        raise Forbidden()
    return caller
