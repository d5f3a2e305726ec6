"""Copies kept for one-read checks are never stale: after every kind of write the API offers, each access
code's claim holds exactly its access and partner, and each partner's name claim its automatic-access feature."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import requests

from bloom.core.time import utcnow
from bloom.partners.models import PartnerRecord
from bloom.partners.repository import (
    AccessCodesRepository,
    PartnerAccessesRepository,
    PartnerNamesRepository,
    PartnersRepository,
    claim_id,
)
from bloom.partners.schemas import AUTOMATIC_ACCESS_CODE
from bloom.users.events import UserDeleted
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.partners import call, new_code, new_feature, new_partner, new_partner_admin, ok, super_admin
from tests.support.users import make_user


def assert_copies_current() -> None:
    accesses = {access.id: access for _, access in PartnerAccessesRepository().select()}
    partners: dict[str, PartnerRecord] = {partner.id: partner for _, partner in PartnersRepository().select()}
    claims = AccessCodesRepository().select()
    assert claims, "the scenario creates codes"
    for code, claim in claims:
        assert claim.access == accesses[claim.partner_access_id], code
        assert claim.access.access_code == code
        assert claim.partner == partners[claim.partner_id], code
    for partner in partners.values():
        name_claim = PartnerNamesRepository().get(claim_id(partner.name_key))
        assert name_claim is not None and name_claim.owner_id == partner.id
        assert name_claim.automatic_access == partner.feature_named(AUTOMATIC_ACCESS_CODE)


def erase(stack: RunningStack, user_id: str) -> None:
    """USER_DELETED pushed to the partners area's subscriber, as the Pub/Sub emulator does."""
    event_id = str(uuid.uuid4())
    data = UserDeleted(user_id=user_id, deleted_at=utcnow().isoformat()).model_dump_json().encode()
    push = {"message": {"data": base64.b64encode(data).decode(), "messageId": event_id}}
    url = stack.api.removesuffix("/api") + "/_/events/erase_partner_data_of_deleted_user"
    assert requests.post(url, json=push, timeout=30).status_code == 200


def test_every_write_keeps_the_copies_current(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    partner_admin, _ = new_partner_admin(stack, auth, admin, partner["id"], "bumble.admin@example.com")
    codes: list[dict[str, Any]] = [new_code(stack, partner_admin) for _ in range(3)]
    assert_copies_current()

    automatic = new_feature(stack, admin, AUTOMATIC_ACCESS_CODE)
    body = {"partnerId": partner["id"], "featureId": automatic["id"], "active": True}
    link = ok(call(stack, "POST", "partner-feature", admin, body), 201)
    assert_copies_current()
    ok(call(stack, "PATCH", f"partner-feature/{link['id']}", admin, {"active": False}))
    assert_copies_current()

    user = make_user(auth, "user@example.com")
    ok(call(stack, "POST", "partner-access/assign", user, {"partnerAccessCode": codes[0]["accessCode"]}), 201)
    assert_copies_current()
    patch = {"therapySessionsRemaining": 9, "active": False}
    ok(call(stack, "PATCH", f"partner-access/{codes[1]['id']}", admin, patch))
    assert_copies_current()

    ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": False}))
    assert_copies_current()
    ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": True, "therapySessionsCap": 4}))
    assert_copies_current()

    erase(stack, f"user-{user.uid}")
    assert_copies_current()
    ok(call(stack, "DELETE", "partner-access/cypress", admin))
    assert_copies_current()


def test_validate_code_and_automatic_access_are_one_read(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Badoo")
    partner_admin, _ = new_partner_admin(stack, auth, admin, partner["id"], "badoo.admin@example.com")
    code = new_code(stack, partner_admin)["accessCode"]
    for guess in (code, "ZZZZZZ"):
        response = call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": guess})
        # the code's claim, read once, while the rate limit's counter is incremented: one wait
        assert response.headers["X-Bloom-Firestore-Round-Trips"] == "1"
    response = call(stack, "GET", "partner-feature/automatic-access-code/Badoo")
    assert response.headers["X-Bloom-Firestore-Round-Trips"] == "1"
