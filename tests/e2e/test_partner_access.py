"""Partner accesses and access codes over HTTP: creating, checking, redeeming, listing, changing, cleaning up,
and what a deleted user's accesses become."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bloom.core.time import utcnow
from bloom.partners.events import PARTNER_ACCESS_ACTIVATED
from bloom.partners.repository import AccessCodesRepository, PartnerAccessesRepository, PartnerAdminsRepository
from bloom.partners.schemas import PartnerAccessOut, PartnerAdminOut
from bloom.partners.views import AccessFilter, PartnerView, partner_views, profile_refs
from bloom.platform.store.outbox import OutboxRepository
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users.events import UserDeleted
from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.partners import (
    call,
    error,
    new_code,
    new_feature,
    new_partner,
    new_partner_admin,
    ok,
    public_id,
    super_admin,
)
from tests.support.users import make_user

CODE = re.compile(r"^[A-Z0-9]{6}$")


def profile_parts(user: UserRecord) -> tuple[list[PartnerAccessOut], PartnerAdminOut | None]:
    """What `GET user/me` shows of the user's partners, read the way the profile reads it."""
    uow = UnitOfWork()
    view: PartnerView = partner_views(
        uow, user, uow.fetch(profile_refs(uow, user)), AccessFilter(active=True), active_admin_only=True
    )
    return view.accesses, view.admin


def setup_partner(
    stack: RunningStack, auth: AuthEmulator, name: str = "Bumble"
) -> tuple[AuthAccount, AuthAccount, dict[str, Any]]:
    """(super admin, partner admin, partner)."""
    admin = super_admin(auth)
    partner = new_partner(stack, admin, name)
    partner_admin, _ = new_partner_admin(stack, auth, admin, partner["id"], f"admin-of-{name.lower()}@example.com")
    return admin, partner_admin, partner


def validate(stack: RunningStack, code: str) -> requests.Response:
    return call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": code})


def assign(stack: RunningStack, who: AuthAccount | None, code: str) -> requests.Response:
    return call(stack, "POST", "partner-access/assign", who, {"partnerAccessCode": code})


def age_access(access_id: str, days: int) -> None:
    """Test data: pretend an access was created `days` ago (no API can back-date one), its code's copy too."""
    created_at = utcnow() - timedelta(days=days)
    PartnerAccessesRepository().ref(access_id).update({"createdAt": created_at})
    stored = PartnerAccessesRepository().get(access_id)
    if stored is not None and stored.access_code:
        AccessCodesRepository().ref(stored.access_code).update({"access.createdAt": created_at})


# ---------------------------------------------------------------- creating codes


def test_a_partner_admin_creates_an_access_with_a_fresh_code(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, partner_admin, partner = setup_partner(stack, auth)
    feature = new_feature(stack, admin, "AUTOMATIC_ACCESS_CODE")
    ok(
        call(
            stack,
            "POST",
            "partner-feature",
            admin,
            {"partnerId": partner["id"], "featureId": feature["id"], "active": True},
        ),
        201,
    )
    body = {
        "featureLiveChat": True,
        "featureTherapy": True,
        "therapySessionsRemaining": 6,
        "therapySessionsRedeemed": 0,
    }
    access = ok(call(stack, "POST", "partner-access", partner_admin, body), 201)
    assert set(access) == {
        "id", "createdAt", "updatedAt", "activatedAt", "featureLiveChat", "featureTherapy", "accessCode", "active",
        "therapySessionsRemaining", "therapySessionsRedeemed", "partner", "therapySessions",
    }  # fmt: skip
    assert CODE.match(access["accessCode"]) and access["activatedAt"] is None and access["active"] is True
    assert (access["therapySessionsRemaining"], access["therapySessionsRedeemed"]) == (6, 0)
    assert access["partner"]["id"] == partner["id"] and access["partner"]["partnerFeature"][0]["feature"] == feature
    assert access["therapySessions"] == []
    codes = {access["accessCode"], *(new_code(stack, partner_admin)["accessCode"] for _ in range(4))}
    assert len(codes) == 5


def test_code_creation_checks_the_therapy_sessions(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, partner_admin, partner = setup_partner(stack, auth)
    body = {"featureLiveChat": True, "featureTherapy": True, "therapySessionsRemaining": 7}
    error(
        call(stack, "POST", "partner-access", partner_admin, body),
        400,
        ["therapySessionsRemaining must not be greater than 6"],
    )
    error(
        call(
            stack,
            "POST",
            "partner-access",
            partner_admin,
            {**body, "therapySessionsRemaining": 2, "therapySessionsRedeemed": 1},
        ),
        400,
        ["therapySessionsRedeemed must not be greater than 0"],
    )
    error(
        call(stack, "POST", "partner-access", partner_admin, {**body, "therapySessionsRemaining": -1}),
        400,
        ["therapySessionsRemaining must not be less than 0"],
    )
    error(
        call(stack, "POST", "partner-access", partner_admin, {"featureTherapy": True}),
        400,
        ["featureLiveChat is required", "therapySessionsRemaining is required"],
    )
    # the cap is a partner setting
    ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": True, "therapySessionsCap": 8}))
    assert new_code(stack, partner_admin, therapySessionsRemaining=8)["therapySessionsRemaining"] == 8
    error(
        call(stack, "POST", "partner-access", partner_admin, {**body, "therapySessionsRemaining": 9}),
        400,
        ["therapySessionsRemaining must not be greater than 8"],
    )


def test_only_a_partner_admin_creates_codes(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, _, _ = setup_partner(stack, auth)
    body = {"featureLiveChat": True, "featureTherapy": False, "therapySessionsRemaining": 0}
    error(call(stack, "POST", "partner-access", make_user(auth, "user@example.com"), body), 403, "Forbidden")
    error(call(stack, "POST", "partner-access", admin, body), 403, "Forbidden")  # a super admin is no partner admin
    error(call(stack, "POST", "partner-access", None, body), 401, "Unauthorized: missing required Authorization token")


# ---------------------------------------------------------------- validate-code


def test_validate_code_and_its_errors_in_order(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, partner_admin, partner = setup_partner(stack, auth)
    access = new_code(stack, partner_admin)
    checked = ok(validate(stack, access["accessCode"].lower()), 201)
    assert checked == access  # nothing changes by checking

    for bad in ("ABC12", "ABC1234", "ABC 12", "ÀBC123", ""):
        error(validate(stack, bad), 400, "INVALID_CODE")
    error(validate(stack, "ZZZZZZ" if access["accessCode"] != "ZZZZZZ" else "YYYYYY"), 400, "DOES_NOT_EXIST")
    error(call(stack, "POST", "partner-access/validate-code", None, {}), 400, ["partnerAccessCode is required"])

    taken = new_code(stack, partner_admin)
    ok(assign(stack, make_user(auth, "someone@example.com"), taken["accessCode"]), 201)
    error(validate(stack, taken["accessCode"]), 409, "ALREADY_IN_USE")

    old = new_code(stack, partner_admin)
    age_access(old["id"], 367)
    error(validate(stack, old["accessCode"]), 400, "CODE_EXPIRED")
    age_access(old["id"], 360)
    ok(validate(stack, old["accessCode"]), 201)

    ok(call(stack, "PATCH", f"partner-access/{old['id']}", admin, {"therapySessionsRemaining": 1, "active": False}))
    age_access(old["id"], 367)
    error(validate(stack, old["accessCode"]), 400, "INACTIVE")  # inactive is checked before expiry
    ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": False}))
    error(validate(stack, access["accessCode"]), 400, "INACTIVE")


def test_validate_code_is_rate_limited_per_ip(stack: RunningStack, auth: AuthEmulator) -> None:
    """A six-character code could be guessed by trying them all: 20 checks a minute per address, then 429."""
    _, partner_admin, _ = setup_partner(stack, auth)
    code = new_code(stack, partner_admin)["accessCode"]
    guesses = [guess for guess in (f"ZZZZ{n:02d}" for n in range(21)) if guess != code][:20]
    someone = make_user(auth, "someone@example.com")
    guesser = {"X-Forwarded-For": "203.0.113.66"}

    def check(guess: str, headers: dict[str, str]) -> requests.Response:
        url = f"{stack.api}/v1/partner-access/validate-code"
        return requests.post(url, json={"partnerAccessCode": guess}, headers=headers, timeout=10)

    stack.pin_rate_limit_clock(datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC))  # every check in one window
    assert [check(guess, guesser).status_code for guess in guesses] == [400] * 20  # DOES_NOT_EXIST
    refused = check(code, guesser)  # even the right code, once the address is over the limit
    error(refused, 429, "ThrottlerException: Too Many Requests")
    assert refused.headers["Retry-After"] == "55"  # the pinned clock reads 12:00:05
    ok(check(code, {"X-Forwarded-For": "203.0.113.67"}), 201)  # another address has its own count
    # Another route keeps its own count for the same address.
    url = f"{stack.api}/v1/partner-access/assign"
    assigned = requests.post(url, json={"partnerAccessCode": code}, headers={**someone.headers, **guesser}, timeout=10)
    ok(assigned, 201)


def test_an_assign_over_its_rate_limit_writes_nothing(stack: RunningStack, auth: AuthEmulator) -> None:
    """The limiter's verdict arrives while the handler reads; the refusal still comes before any write or event."""
    _, partner_admin, _ = setup_partner(stack, auth)
    access = new_code(stack, partner_admin)
    user = make_user(auth, "hasty@example.com")
    stack.pin_rate_limit_clock(datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC))  # every call in one window
    for _ in range(10):  # 10/minute per user
        error(assign(stack, user, "QQQQQQ"), 400, "DOES_NOT_EXIST")
    error(assign(stack, user, access["accessCode"]), 429, "ThrottlerException: Too Many Requests")

    stored_access = PartnerAccessesRepository().get(access["id"])
    assert stored_access is not None and stored_access.user_id is None and stored_access.activated_at is None
    stored_user = UsersRepository().get(user.uid)
    assert stored_user is not None and stored_user.partner_access_ids == []
    assert [entry for _, entry in OutboxRepository().select() if entry.topic == PARTNER_ACCESS_ACTIVATED.name] == []


# ---------------------------------------------------------------- assign


def test_assign_a_code_to_the_signed_in_user(stack: RunningStack, auth: AuthEmulator) -> None:
    _, partner_admin, partner = setup_partner(stack, auth)
    access = new_code(stack, partner_admin)
    user = make_user(auth, "user@example.com")
    before = utcnow()
    assigned = ok(assign(stack, user, f" {access['accessCode'].lower()} "), 201)
    assert assigned["id"] == access["id"] and assigned["accessCode"] == access["accessCode"]
    assert assigned["activatedAt"] is not None and assigned["activatedAt"] >= before.isoformat()[:19]
    assert assigned["partner"]["id"] == partner["id"]

    stored = UsersRepository().get(user.uid)
    assert stored is not None
    assert stored.partner_access_ids == [access["id"]] and stored.partner_ids == [partner["id"]]
    accesses, partner_admin_out = profile_parts(stored)
    assert [a.model_dump(mode="json", by_alias=True) for a in accesses] == [assigned]
    assert partner_admin_out is None

    error(assign(stack, user, access["accessCode"]), 409, "ALREADY_APPLIED")
    error(assign(stack, make_user(auth, "other@example.com"), access["accessCode"].lower()), 409, "ALREADY_IN_USE")
    error(assign(stack, user, "nope"), 400, "INVALID_CODE")
    error(assign(stack, user, "QQQQQQ"), 400, "DOES_NOT_EXIST")
    old = new_code(stack, partner_admin)
    age_access(old["id"], 400)
    error(assign(stack, user, old["accessCode"]), 400, "CODE_EXPIRED")
    error(assign(stack, None, old["accessCode"]), 401, "Unauthorized: missing required Authorization token")
    stored = UsersRepository().get(user.uid)
    assert stored is not None and stored.partner_access_ids == [access["id"]]


def test_a_partner_admins_profile_part(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, partner_admin, partner = setup_partner(stack, auth)
    stored = UsersRepository().get(partner_admin.uid)
    assert stored is not None and stored.partner_admin is not None
    accesses, admin_out = profile_parts(stored)
    assert accesses == [] and admin_out is not None and admin_out.partner.id == partner["id"] and admin_out.active
    ok(call(stack, "PATCH", f"partner-admin/{stored.partner_admin.id}", admin, {"active": False}))
    stored = UsersRepository().get(partner_admin.uid)
    assert stored is not None
    assert profile_parts(stored)[1] is None


# ---------------------------------------------------------------- super admin: list and change


def test_list_accesses_with_filters(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, bumble_admin, bumble = setup_partner(stack, auth, "Bumble")
    badoo = new_partner(stack, admin, "Badoo")
    badoo_admin, _ = new_partner_admin(stack, auth, admin, badoo["id"], "badoo-admin@example.com")
    chat = new_code(stack, bumble_admin, featureTherapy=False, therapySessionsRemaining=0)
    therapy = new_code(stack, bumble_admin, therapySessionsRemaining=4)
    other = new_code(stack, badoo_admin, therapySessionsRemaining=4)

    def ids(**params: str) -> set[str]:
        return {a["id"] for a in ok(call(stack, "GET", "partner-access", admin, params=params))}

    assert ids() == {chat["id"], therapy["id"], other["id"]}
    assert ids(partnerId=bumble["id"]) == {chat["id"], therapy["id"]}
    assert ids(featureTherapy="true") == {therapy["id"], other["id"]}
    assert ids(featureTherapy="true", partnerId=bumble["id"]) == {therapy["id"]}
    assert ids(therapySessionsRemaining="4") == {therapy["id"], other["id"]}
    assert ids(accessCode=chat["accessCode"].lower()) == {chat["id"]}
    assert ids(active="false") == set()
    error(
        call(stack, "GET", "partner-access", admin, params={"featureTherapy": "maybe"}),
        400,
        ["featureTherapy must be a boolean"],
    )
    # a partner admin cannot read accesses, not even their own partner's
    error(call(stack, "GET", "partner-access", bumble_admin, params={"partnerId": bumble["id"]}), 403, "Forbidden")
    error(call(stack, "GET", "partner-access", badoo_admin, params={"partnerId": bumble["id"]}), 403, "Forbidden")
    # nor change another partner's accesses or admins
    patch = {"therapySessionsRemaining": 6, "active": False}
    error(call(stack, "PATCH", f"partner-access/{chat['id']}", badoo_admin, patch), 403, "Forbidden")
    bumble_record = UsersRepository().get(bumble_admin.uid)
    assert bumble_record is not None and bumble_record.partner_admin is not None
    error(
        call(stack, "PATCH", f"partner-admin/{bumble_record.partner_admin.id}", badoo_admin, {"active": False}),
        403,
        "Forbidden",
    )
    assert ok(validate(stack, chat["accessCode"]), 201)["active"] is True
    new_code(stack, bumble_admin)  # still a partner admin


def test_a_super_admin_changes_an_access(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, partner_admin, _ = setup_partner(stack, auth)
    access = new_code(stack, partner_admin, therapySessionsRemaining=2)
    changed = ok(
        call(
            stack,
            "PATCH",
            f"partner-access/{access['id']}",
            admin,
            {"therapySessionsRemaining": 5, "therapySessionsRedeemed": 1, "featureTherapy": False},
        )
    )
    assert (changed["therapySessionsRemaining"], changed["therapySessionsRedeemed"], changed["featureTherapy"]) == (
        5,
        1,
        False,
    )
    assert changed["featureLiveChat"] is True and changed["accessCode"] == access["accessCode"]
    # The team tops sessions up past the partner's cap (6) from the dashboard: "+1 session" on 6 sends 7.
    topped_up = ok(call(stack, "PATCH", f"partner-access/{access['id']}", admin, {"therapySessionsRemaining": 7}))
    assert topped_up["therapySessionsRemaining"] == 7
    error(
        call(stack, "PATCH", f"partner-access/{access['id']}", admin, {"therapySessionsRemaining": 51}),
        400,
        ["therapySessionsRemaining must not be greater than 50"],
    )
    ok(call(stack, "PATCH", f"partner-access/{access['id']}", admin, {"therapySessionsRemaining": 5}))
    error(
        call(stack, "PATCH", f"partner-access/{access['id']}", admin, {"featureTherapy": True}),
        400,
        ["therapySessionsRemaining is required"],
    )
    error(
        call(stack, "PATCH", "partner-access/nope", admin, {"therapySessionsRemaining": 1}),
        404,
        "PARTNER ACCESS NOT FOUND",
    )
    # neither the partner's own admin nor a user may change it
    for who in (partner_admin, make_user(auth, "user@example.com")):
        error(
            call(stack, "PATCH", f"partner-access/{access['id']}", who, {"therapySessionsRemaining": 6}),
            403,
            "Forbidden",
        )
    stored = PartnerAccessesRepository().get(access["id"])
    assert stored is not None and stored.therapy_sessions_remaining == 5


# ---------------------------------------------------------------- test-data cleanup and user deletion


def test_delete_cypress_accesses(stack: RunningStack, auth: AuthEmulator) -> None:
    admin, real_admin, partner = setup_partner(stack, auth)
    cypress_admin, _ = new_partner_admin(stack, auth, admin, partner["id"], "cypresstestemail+admin@chayn.co")
    cypress_user = make_user(auth, "cypresstestemail1700000@chayn.co")
    real_user = make_user(auth, "real@example.com")
    lookalike = make_user(auth, "cypresstestemail1@chayn.com")

    by_real_for_cypress = new_code(stack, real_admin)
    ok(assign(stack, cypress_user, by_real_for_cypress["accessCode"]), 201)
    by_cypress_unused = new_code(stack, cypress_admin)
    by_cypress_for_real = new_code(stack, cypress_admin)
    ok(assign(stack, real_user, by_cypress_for_real["accessCode"]), 201)
    by_real_unused = new_code(stack, real_admin)
    by_real_for_lookalike = new_code(stack, real_admin)
    ok(assign(stack, lookalike, by_real_for_lookalike["accessCode"]), 201)

    error(call(stack, "DELETE", "partner-access/cypress", real_user), 403, "Forbidden")
    assert ok(call(stack, "DELETE", "partner-access/cypress", admin)) == {"deletedCount": 2}
    remaining = {a["id"] for a in ok(call(stack, "GET", "partner-access", admin))}
    assert remaining == {by_cypress_for_real["id"], by_real_unused["id"], by_real_for_lookalike["id"]}
    error(validate(stack, by_cypress_unused["accessCode"]), 400, "DOES_NOT_EXIST")
    stored = UsersRepository().get(cypress_user.uid)
    assert stored is not None and stored.partner_access_ids == []
    assert ok(call(stack, "DELETE", "partner-access/cypress", admin)) == {"deletedCount": 0}


def _deliver_user_deleted(stack: RunningStack, user_id: str, event_id: str) -> str:
    """Push a USER_DELETED message to our subscriber the way the Pub/Sub emulator does."""
    data = UserDeleted(user_id=user_id, deleted_at=utcnow().isoformat()).model_dump_json().encode()
    push = {
        "message": {
            "data": base64.b64encode(data).decode(),
            "messageId": event_id,
            "attributes": {"event_id": event_id},
        }
    }
    url = stack.api.removesuffix("/api") + "/_/events/erase_partner_data_of_deleted_user"
    reply = requests.post(url, json=push, headers={"ce-id": event_id, "ce-specversion": "1.0"}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.text


def test_a_deleted_users_accesses_are_released_and_their_admin_record_removed(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    admin, partner_admin, partner = setup_partner(stack, auth)
    access = new_code(stack, partner_admin)
    user = make_user(auth, "leaving@example.com")
    ok(assign(stack, user, access["accessCode"]), 201)
    admin_id = public_id(partner_admin)

    assert _deliver_user_deleted(stack, public_id(user), str(uuid.uuid4())) == "done"
    stored = PartnerAccessesRepository().get(access["id"])
    assert stored is not None and stored.user_id is None and stored.released_at is not None
    assert stored.activated_at is not None  # kept for the partner's counts
    error(validate(stack, access["accessCode"]), 409, "ALREADY_IN_USE")  # a used code never comes back
    error(assign(stack, make_user(auth, "next@example.com"), access["accessCode"]), 409, "ALREADY_IN_USE")

    event_id = str(uuid.uuid4())
    assert _deliver_user_deleted(stack, admin_id, event_id) == "done"
    assert PartnerAdminsRepository().for_user(admin_id) == []
    assert _deliver_user_deleted(stack, admin_id, event_id) == "duplicate"
    assert (
        _deliver_user_deleted(stack, admin_id, str(uuid.uuid4())) == "done"
    )  # a retry after a partial run is harmless
    assert {a["id"] for a in ok(call(stack, "GET", "partner-access", admin, params={"partnerId": partner["id"]}))} == {
        access["id"]
    }
