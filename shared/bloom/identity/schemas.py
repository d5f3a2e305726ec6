"""What the identity area shows callers: passkey ceremonies (WebAuthn JSON), passkeys, custom tokens, AuthAudit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from bloom.core.models import CamelModel, RequestModel

AuthAuditAction = Literal[
    "passkey.registered",
    "passkey.used",
    "passkey.removed",
    "passkey.rejected",
    "therapist_created",
    "role_changed",
    "second_factor_missing",
    "user.looked_up",
    "user.disabled",
    "user.enabled",
]
WebAuthnJson = dict[str, Any]
"""WebAuthn options or a credential, in the JSON shape of `PublicKeyCredential.toJSON()` / `parseCreationOptions`."""


class RegisterPasskey(RequestModel):
    """`POST practice/auth/passkeys/register/verify`: the credential `navigator.credentials.create` returned."""

    credential: WebAuthnJson
    name: str | None = Field(None, min_length=1, max_length=64, description="a label the user gives this passkey")


class LoginWithPasskey(RequestModel):
    """`POST practice/auth/passkeys/login/verify`: the assertion `navigator.credentials.get` returned."""

    credential: WebAuthnJson


class PasskeyOut(CamelModel):
    id: str  # the credential id, base64url
    name: str | None
    created_at: datetime
    last_used_at: datetime | None


class CustomToken(CamelModel):
    """For the Firebase client's `signInWithCustomToken`."""

    custom_token: str
