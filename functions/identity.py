"""Identity extras of the practice: passkeys (WebAuthn) that sign in through Firebase custom tokens."""

from __future__ import annotations

from typing import Any

from bloom.api import HttpContext, http_function
from bloom.identity import errors
from bloom.identity import service as identity
from bloom.identity.schemas import CustomToken, LoginWithPasskey, PasskeyOut, RegisterPasskey
from bloom.platform.events import Event
from bloom.platform.http import Empty
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("practice-identity",)
BASE = "/api/v1/practice/auth/passkeys"


@http_function(
    "POST",
    f"{BASE}/register/options",
    role=Role.USER,
    response=dict[str, Any],
    summary="WebAuthn creation options for a new passkey of the caller (the challenge lasts 5 minutes, once)",
    sdks=(Sdk.WEBAUTHN,),
    rate_limit="20/hour per user",
    tags=TAGS,
)
def passkey_register_options(ctx: HttpContext[Empty, Empty]) -> dict[str, Any]:
    return identity.registration_options(ctx.caller.user.id)


@http_function(
    "POST",
    f"{BASE}/register/verify",
    role=Role.USER,
    body=RegisterPasskey,
    response=PasskeyOut,
    summary="Verify and store the caller's new passkey (audited)",
    errors=(errors.PASSKEY_CHALLENGE_INVALID, errors.PASSKEY_REGISTRATION_FAILED, errors.PASSKEY_ALREADY_REGISTERED),
    sdks=(Sdk.WEBAUTHN,),
    rate_limit="20/hour per user",
    tags=TAGS,
)
def passkey_register_verify(ctx: HttpContext[RegisterPasskey, Empty]) -> PasskeyOut:
    return identity.register(ctx.caller.user.id, ctx.caller.auth_uid, ctx.body)


@http_function(
    "POST",
    f"{BASE}/login/options",
    role=Role.PUBLIC,
    response=dict[str, Any],
    summary="WebAuthn request options for signing in with a passkey (the challenge lasts 5 minutes, once)",
    sdks=(Sdk.WEBAUTHN,),
    rate_limit="30/minute per ip",
    tags=TAGS,
)
def passkey_login_options(ctx: HttpContext[Empty, Empty]) -> dict[str, Any]:
    return identity.login_options()


@http_function(
    "POST",
    f"{BASE}/login/verify",
    role=Role.PUBLIC,
    body=LoginWithPasskey,
    response=CustomToken,
    summary="Verify a passkey assertion: a Firebase custom token for signInWithCustomToken (refusals audited)",
    errors=(errors.PASSKEY_CHALLENGE_INVALID, errors.PASSKEY_LOGIN_FAILED),
    sdks=(Sdk.WEBAUTHN, Sdk.FIREBASE_AUTH),
    uses=(Capability.SIGN_AS_SELF,),
    rate_limit="30/minute per ip",
    tags=TAGS,
)
def passkey_login_verify(ctx: HttpContext[LoginWithPasskey, Empty]) -> CustomToken:
    return identity.login(ctx.body)


@http_function(
    "GET",
    BASE,
    role=Role.USER,
    response=list[PasskeyOut],
    summary="The caller's passkeys",
    tags=TAGS,
)
def list_passkeys(ctx: HttpContext[Empty, Empty]) -> list[PasskeyOut]:
    return identity.list_passkeys(ctx.caller.user.id)


@http_function(
    "DELETE",
    f"{BASE}/{{id}}",
    role=Role.USER,
    response=PasskeyOut,
    summary="Remove one of the caller's passkeys (audited); returns what was removed",
    errors=(errors.PASSKEY_NOT_FOUND,),
    tags=TAGS,
)
def delete_passkey(ctx: HttpContext[Empty, Empty]) -> PasskeyOut:
    return identity.remove_passkey(ctx.caller.user.id, ctx.path["id"])


@event_function(USER_DELETED, summary="Erase a deleted user's passkeys")
def erase_passkeys_of_deleted_user(event: Event[UserDeleted]) -> None:
    identity.erase_user_passkeys(event.payload.user_id)
