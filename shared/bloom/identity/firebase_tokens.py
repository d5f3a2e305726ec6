"""Firebase custom tokens (firebase_admin.auth.create_custom_token) for `signInWithCustomToken`.

Deployed, firebase_admin signs them through IAM `signBlob` as the function's own service account (Terraform
grants that to the functions declaring `Capability.SIGN_AS_SELF` only); against the Auth emulator it makes the
unsigned tokens the emulator accepts.
"""

from __future__ import annotations

from bloom.platform.auth import firebase_app
from bloom.platform.store.request_checks import settle_checks


def custom_token(uid: str, claims: dict[str, object]) -> str:
    from firebase_admin import auth

    settle_checks()  # no sign-in token for a request refused by its rate limit
    token: bytes = auth.create_custom_token(uid, developer_claims=claims, app=firebase_app())
    return token.decode()
