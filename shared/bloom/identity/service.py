"""Passkeys (WebAuthn, the `webauthn` package): registration and login ceremonies minting Firebase custom tokens,
list and removal, erasure; and the AuthAudit writer.

Challenges are 32 random bytes, stored under their own value (unique by construction) for 5 minutes, and consumed
(read and deleted in one transaction) before the response is verified, so a challenge serves one attempt, whether
it succeeds or not. A login whose signature counter does not move forward is refused and audited.

Privacy: the WebAuthn user shown by authenticators is the neutral "Bloom", never a name or an email (a passkey
list on a shared device should not name the person), and the user handle is the Bloom user id.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from bloom.core.logging import current_request_id, get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.identity import errors
from bloom.identity.firebase_tokens import custom_token
from bloom.identity.models import (
    CHALLENGE_TTL,
    AuthAuditRecord,
    ChallengePurpose,
    ChallengeRecord,
    PasskeyRecord,
    counter_regressed,
)
from bloom.identity.repository import IdentityWork
from bloom.identity.schemas import AuthAuditAction, CustomToken, LoginWithPasskey, PasskeyOut, RegisterPasskey
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork

_log = get_logger(__name__)
RP_NAME = "Bloom"
NEUTRAL_USER_NAME = "Bloom"
TIMEOUT_MS = int(CHALLENGE_TTL.total_seconds() * 1000)
# What the webauthn package's parsers can raise on a client's malformed JSON, base64 or CBOR besides its own errors.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError)


def record_auth_audit_in(
    uow: UnitOfWork,
    action: AuthAuditAction,
    actor_id: str | None,
    subject_id: str | None,
    details: dict[str, Any],
    *,
    record_id: str | None = None,
) -> None:
    """Append an AuthAudit record in the caller's unit of work (so it commits with the change it describes).
    The one writer of `authAudit` (passkeys here; therapists, roles and missing second factors in practice).
    A `record_id` makes the record its own claim: a second one with that id fails the commit."""
    record = AuthAuditRecord(
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        at=utcnow(),
        request_id=current_request_id(),
        details=details,
    )
    IdentityWork.join(uow).auth_audit.create(record_id or uuid.uuid4().hex, record)


def record_auth_audit_once(record_id: str, action: AuthAuditAction, actor_id: str | None, subject_id: str) -> None:
    """Append a record unless one with this id exists (a burst of the same refusal writes one record)."""
    try:
        with IdentityWork() as uow:
            record_auth_audit_in(uow, action, actor_id, subject_id, {}, record_id=record_id)
    except DuplicateDocument:
        return


def auth_audit_of(subject_id: str) -> list[AuthAuditRecord]:
    """The AuthAudit records about one user (support tooling and tests)."""
    with IdentityWork() as uow:
        return uow.auth_audit.about(subject_id)


# --- challenges --------------------------------------------------------------------------------------------


def _new_challenge(purpose: ChallengePurpose, user_id: str | None) -> bytes:
    from webauthn.helpers import bytes_to_base64url

    challenge = secrets.token_bytes(32)
    with IdentityWork() as uow:
        uow.challenges.create(
            bytes_to_base64url(challenge),
            ChallengeRecord(purpose=purpose, user_id=user_id, expires_at=utcnow() + CHALLENGE_TTL),
        )
    return challenge


def _consume_challenge(client_data_json: bytes, purpose: ChallengePurpose, user_id: str | None) -> bytes:
    """The challenge the client signed, deleted now; 400 when it is unknown, used, expired or someone else's."""
    from webauthn.helpers import bytes_to_base64url, parse_client_data_json
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, *MALFORMED):
        raise errors.PASSKEY_CHALLENGE_INVALID.error() from None
    challenge_id = bytes_to_base64url(challenge)

    def consume(uow: IdentityWork) -> bool:
        found = uow.challenges.get(challenge_id)
        if found is None:
            return False
        uow.challenges.delete(challenge_id)
        return found.usable_for(purpose, user_id, utcnow())

    if not IdentityWork.run_in_transaction(consume):
        raise errors.PASSKEY_CHALLENGE_INVALID.error()
    return challenge


# --- registration ------------------------------------------------------------------------------------------


def registration_options(user_id: str) -> dict[str, Any]:
    """Options for `navigator.credentials.create`, excluding the caller's existing passkeys."""
    from webauthn import generate_registration_options
    from webauthn.helpers import base64url_to_bytes, options_to_json_dict
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    with IdentityWork() as uow:
        existing = uow.passkeys.of_user(user_id)
    options = generate_registration_options(
        rp_id=get_settings().webauthn_rp_id,
        rp_name=RP_NAME,
        user_name=NEUTRAL_USER_NAME,
        user_display_name=NEUTRAL_USER_NAME,
        user_id=user_id.encode(),
        challenge=_new_challenge("register", user_id),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.id)) for p in existing],
    )
    return options_to_json_dict(options)


def register(user_id: str, auth_uid: str, body: RegisterPasskey) -> PasskeyOut:
    """Verify a new passkey against a registration challenge of this user and store it (audited)."""
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url, parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    settings = get_settings()
    try:
        credential = parse_registration_credential_json(body.credential)
    except (WebAuthnException, *MALFORMED):
        raise errors.PASSKEY_REGISTRATION_FAILED.error() from None
    challenge = _consume_challenge(credential.response.client_data_json, "register", user_id)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=list(settings.webauthn_origins),
        )
    except (WebAuthnException, *MALFORMED):
        raise errors.PASSKEY_REGISTRATION_FAILED.error() from None
    now = utcnow()
    record = PasskeyRecord(
        id=bytes_to_base64url(verified.credential_id),
        user_id=user_id,
        auth_uid=auth_uid,
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=body.name,
        transports=[transport.value for transport in credential.response.transports or []],
        created_at=now,
    )
    try:
        with IdentityWork() as uow:
            uow.passkeys.create(record.id, record)
            record_auth_audit_in(uow, "passkey.registered", user_id, user_id, {"passkeyId": record.id})
    except DuplicateDocument:
        raise errors.PASSKEY_ALREADY_REGISTERED.error() from None
    return _out(record)


# --- login -------------------------------------------------------------------------------------------------


def login_options() -> dict[str, Any]:
    """Options for `navigator.credentials.get` (discoverable passkeys: the authenticator says whose)."""
    from webauthn import generate_authentication_options
    from webauthn.helpers import options_to_json_dict
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=get_settings().webauthn_rp_id,
        challenge=_new_challenge("login", None),
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json_dict(options)


@dataclass(frozen=True)
class _Outcome:
    passkey: PasskeyRecord | None  # None: refused (and audited)


def login(body: LoginWithPasskey) -> CustomToken:
    """Verify an assertion; on success a Firebase custom token for the passkey's account, else 401 (audited)."""
    from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        credential = parse_authentication_credential_json(body.credential)
    except (WebAuthnException, *MALFORMED):
        raise errors.PASSKEY_LOGIN_FAILED.error() from None
    challenge = _consume_challenge(credential.response.client_data_json, "login", None)
    passkey_id = bytes_to_base64url(credential.raw_id)

    def check(uow: IdentityWork) -> _Outcome:
        passkey = uow.passkeys.get(passkey_id)
        if passkey is None:
            record_auth_audit_in(uow, "passkey.rejected", None, None, {"passkeyId": passkey_id, "reason": "unknown"})
            return _Outcome(None)
        reason, new_count = _verify_assertion(credential, challenge, passkey)
        if reason is not None:
            details = {"passkeyId": passkey.id, "reason": reason, "storedCount": passkey.sign_count}
            if new_count is not None:
                details["presentedCount"] = new_count
            record_auth_audit_in(uow, "passkey.rejected", None, passkey.user_id, details)
            return _Outcome(None)
        used = passkey.model_copy(update={"sign_count": new_count, "last_used_at": utcnow()})
        uow.passkeys.change(passkey.id, sign_count=new_count, last_used_at=used.last_used_at)
        record_auth_audit_in(uow, "passkey.used", passkey.user_id, passkey.user_id, {"passkeyId": passkey.id})
        return _Outcome(used)

    outcome = IdentityWork.run_in_transaction(check)
    if outcome.passkey is None:
        _log.warning("passkey login refused")
        raise errors.PASSKEY_LOGIN_FAILED.error()
    return CustomToken(custom_token=custom_token(outcome.passkey.auth_uid, {"bloomPasskey": True}))


def _verify_assertion(credential: Any, challenge: bytes, passkey: PasskeyRecord) -> tuple[str | None, int | None]:
    """(why it is refused or None, the counter presented). The signature is checked with the counter check off,
    so a counter gone backwards is told apart (and audited as such) from a bad signature."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import WebAuthnException

    settings = get_settings()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=list(settings.webauthn_origins),
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=0,
        )
    except (WebAuthnException, *MALFORMED):
        return "verification", None
    if counter_regressed(passkey.sign_count, verified.new_sign_count):
        return "counter", verified.new_sign_count
    return None, verified.new_sign_count


# --- management --------------------------------------------------------------------------------------------


def _out(record: PasskeyRecord) -> PasskeyOut:
    return PasskeyOut(id=record.id, name=record.name, created_at=record.created_at, last_used_at=record.last_used_at)


def list_passkeys(user_id: str) -> list[PasskeyOut]:
    with IdentityWork() as uow:
        found = uow.passkeys.of_user(user_id)
    return [_out(record) for record in sorted(found, key=lambda record: record.created_at)]


def remove_passkey(user_id: str, passkey_id: str) -> PasskeyOut:
    """Remove one of the caller's passkeys (audited); someone else's id is 404."""

    def remove(uow: IdentityWork) -> PasskeyRecord | None:
        found = uow.passkeys.get(passkey_id)
        if found is None or found.user_id != user_id:
            return None
        uow.passkeys.delete(passkey_id)
        record_auth_audit_in(uow, "passkey.removed", user_id, user_id, {"passkeyId": passkey_id})
        return found

    removed = IdentityWork.run_in_transaction(remove)
    if removed is None:
        raise errors.PASSKEY_NOT_FOUND.error()
    return _out(removed)


def erase_user_passkeys(user_id: str) -> int:
    """Delete every passkey of an erased user (idempotent); their AuthAudit records keep ids only."""
    with IdentityWork() as uow:
        return uow.passkeys.delete_matching(user_id=user_id)
