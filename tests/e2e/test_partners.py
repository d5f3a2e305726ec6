"""Partners, features, partner features and partner admins over HTTP, as the frontend and admin tools call them."""

from __future__ import annotations

from datetime import UTC, datetime

from bloom.users.firebase_accounts import uid_for_email
from bloom.users.repository import UsersRepository
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

# ---------------------------------------------------------------- helpers (also used by test_partner_access.py)


# ---------------------------------------------------------------- partners


def test_create_list_and_find_partners(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    created = new_partner(stack, admin, "Bumble Partner")
    assert set(created) == {"id", "name", "isActive", "partnerFeature"}
    assert created["name"] == "Bumble Partner" and created["isActive"] is True and created["partnerFeature"] == []
    new_partner(stack, admin, "Badoo")

    assert [p["name"] for p in ok(call(stack, "GET", "partner", admin))] == ["Bumble Partner", "Badoo"]
    found = ok(call(stack, "GET", "partner/bumble%20PARTNER"))  # public, exact name, any case
    assert found == created
    error(call(stack, "GET", "partner/Bumble"), 404, "PARTNER NOT FOUND")  # exact, not a prefix


def test_partner_names_are_unique_case_insensitively_and_validated(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    new_partner(stack, admin, "Bumble")
    error(call(stack, "POST", "partner", admin, {"name": "bUMBLE"}), 409, "PARTNER_ALREADY_EXISTS")
    error(call(stack, "POST", "partner", admin, {"name": "x" * 51}), 400, ["name must be at most 50 characters"])
    error(call(stack, "POST", "partner", admin, {"name": ""}), 400, ["name must be at least 1 characters"])
    error(call(stack, "POST", "partner", admin, {}), 400, ["name is required"])
    assert len(ok(call(stack, "GET", "partner", admin))) == 1


def test_partner_endpoints_need_a_super_admin(stack: RunningStack, auth: AuthEmulator) -> None:
    user = make_user(auth, "user@example.com")
    not_second_factor = make_user(auth, "half-admin@example.com", isSuperAdmin=True)
    for who in (user, auth.verify_email(not_second_factor)):
        error(call(stack, "POST", "partner", who, {"name": "Bumble"}), 403, "Forbidden")
        error(call(stack, "GET", "partner", who), 403, "Forbidden")
        error(call(stack, "POST", "feature", who, {"name": "F"}), 403, "Forbidden")
        error(call(stack, "GET", "feature", who), 403, "Forbidden")
    error(call(stack, "GET", "partner"), 401, "Unauthorized: missing required Authorization token")
    partner = new_partner(stack, super_admin(auth), "Bumble")
    error(call(stack, "PATCH", f"partner/{partner['id']}", user, {"active": False}), 403, "Forbidden")
    error(
        call(stack, "POST", "partner-admin", user, {"userId": public_id(user), "partnerId": partner["id"]}),
        403,
        "Forbidden",
    )


# ---------------------------------------------------------------- features and partner features


def test_features(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    feature = new_feature(stack, admin, "AUTOMATIC_ACCESS_CODE")
    assert set(feature) == {"id", "name"} and feature["name"] == "AUTOMATIC_ACCESS_CODE"
    new_feature(stack, admin, "THERAPY")
    assert [f["name"] for f in ok(call(stack, "GET", "feature", admin))] == ["AUTOMATIC_ACCESS_CODE", "THERAPY"]
    assert ok(call(stack, "GET", f"feature/{feature['id']}")) == feature  # public
    error(call(stack, "GET", "feature/nope"), 404, "FEATURE NOT FOUND")
    error(call(stack, "POST", "feature", admin, {"name": "THERAPY"}), 409, "FEATURE_ALREADY_EXISTS")
    error(call(stack, "POST", "feature", admin, {"name": "x" * 51}), 400, ["name must be at most 50 characters"])


def test_partner_features_are_part_of_the_partner(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    feature = new_feature(stack, admin, "AUTOMATIC_ACCESS_CODE")
    body = {"partnerId": partner["id"], "featureId": feature["id"], "active": True}
    link = ok(call(stack, "POST", "partner-feature", admin, body), 201)
    assert link == {
        "id": link["id"],
        "partnerId": partner["id"],
        "featureId": feature["id"],
        "active": True,
        "feature": feature,
    }
    error(call(stack, "POST", "partner-feature", admin, body), 409, "PARTNER_FEATURE_ALREADY_EXISTS")
    error(call(stack, "POST", "partner-feature", admin, {**body, "partnerId": "nope"}), 404, "PARTNER NOT FOUND")
    error(call(stack, "POST", "partner-feature", admin, {**body, "featureId": "nope"}), 404, "FEATURE NOT FOUND")
    error(call(stack, "POST", "partner-feature", admin, {**body, "partnerId": "a/b"}), 404, "PARTNER NOT FOUND")
    assert ok(call(stack, "GET", "partner/bumble"))["partnerFeature"] == [link]

    assert ok(call(stack, "GET", "partner-feature/automatic-access-code/BUMBLE")) == link  # public
    switched_off = ok(call(stack, "PATCH", f"partner-feature/{link['id']}", admin, {"active": False}))
    assert switched_off == {**link, "active": False}
    assert ok(call(stack, "GET", "partner/Bumble"))["partnerFeature"] == [switched_off]
    assert ok(call(stack, "GET", "partner-feature/automatic-access-code/bumble")) == switched_off
    error(call(stack, "PATCH", "partner-feature/nope", admin, {"active": True}), 404, "PARTNER FEATURE NOT FOUND")
    error(
        call(stack, "PATCH", f"partner-feature/{link['id']}", make_user(auth, "u@example.com"), {"active": True}),
        403,
        "Forbidden",
    )


def test_automatic_access_code_feature_is_null_when_absent(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    new_partner(stack, admin, "Bumble")
    for name in ("Bumble", "Unknown"):
        response = call(stack, "GET", f"partner-feature/automatic-access-code/{name}")
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
        assert response.json() is None


# ---------------------------------------------------------------- partner admins


def test_make_a_user_partner_admin(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    account, record = new_partner_admin(stack, auth, admin, partner["id"], "padmin@example.com")
    assert set(record) == {"id", "active", "createdAt", "updatedAt", "partner"}
    assert record["active"] is True and record["partner"] == partner
    new_code(stack, account)  # the role works at once

    body = {"userId": public_id(account), "partnerId": partner["id"]}
    error(call(stack, "POST", "partner-admin", admin, body), 400, "User is already a partner admin")
    error(call(stack, "POST", "partner-admin", admin, {**body, "partnerId": "nope"}), 400, "Partner does not exist")
    error(call(stack, "POST", "partner-admin", admin, {**body, "userId": "nope"}), 400, "User does not exist")


def test_switching_a_partner_admin_off_and_on(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    account, record = new_partner_admin(stack, auth, admin, partner["id"], "padmin@example.com")
    off = ok(call(stack, "PATCH", f"partner-admin/{record['id']}", admin, {"active": False}))
    assert off["active"] is False and off["id"] == record["id"]
    error(
        call(
            stack,
            "POST",
            "partner-access",
            account,
            {"featureLiveChat": True, "featureTherapy": False, "therapySessionsRemaining": 0},
        ),
        403,
        "Forbidden",
    )
    assert ok(call(stack, "PATCH", f"partner-admin/{record['id']}", admin, {"active": True}))["active"] is True
    new_code(stack, account)
    error(call(stack, "PATCH", "partner-admin/nope", admin, {"active": True}), 400, "Partner admin does not exist")
    error(call(stack, "PATCH", f"partner-admin/{record['id']}", account, {"active": True}), 403, "Forbidden")


def test_create_user_makes_an_account_and_a_partner_admin(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    body = {"name": "Pat Admin", "email": "New.Admin@Example.com", "partnerId": partner["id"]}
    record = ok(call(stack, "POST", "partner-admin/create-user", admin, body), 201)
    assert record["active"] is True and record["partner"]["id"] == partner["id"]
    uid = uid_for_email("new.admin@example.com")
    assert uid is not None
    stored = UsersRepository().get(uid)
    assert stored is not None and stored.email == "new.admin@example.com" and stored.name == "Pat Admin"
    assert stored.partner_admin is not None and stored.partner_admin.id == record["id"]
    # They reset their password (here: the emulator sets one) and can act as the partner's admin.
    auth.update(uid, password="a-Long-password-2")
    account = auth.token_for(AuthAccount(uid, "new.admin@example.com", "a-Long-password-2", ""))
    assert new_code(stack, account)["partner"]["id"] == partner["id"]

    error(call(stack, "POST", "partner-admin/create-user", admin, body), 400, "User is already a partner admin")
    error(
        call(stack, "POST", "partner-admin/create-user", admin, {**body, "partnerId": "nope"}),
        400,
        "Partner does not exist",
    )
    error(
        call(stack, "POST", "partner-admin/create-user", admin, {**body, "email": "not-an-email"}),
        400,
        ["email must be an email"],
    )


def test_create_user_reuses_an_existing_account(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    existing = make_user(auth, "existing@example.com")
    body = {"name": "Existing", "email": "existing@example.com", "partnerId": partner["id"]}
    record = ok(call(stack, "POST", "partner-admin/create-user", admin, body), 201)
    stored = UsersRepository().get(existing.uid)
    assert stored is not None and stored.id == public_id(existing)
    assert stored.partner_admin is not None and stored.partner_admin.id == record["id"]
    new_code(stack, existing)  # same account, same password, now a partner admin


def test_create_user_is_rate_limited_per_caller(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    stack.pin_rate_limit_clock(datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC))  # the six calls in one window
    body = {"name": "X", "email": "x@example.com", "partnerId": "nope"}
    for _ in range(5):
        error(call(stack, "POST", "partner-admin/create-user", admin, body), 400, "Partner does not exist")
    error(call(stack, "POST", "partner-admin/create-user", admin, body), 429, "ThrottlerException: Too Many Requests")
    other = super_admin(auth, "other-admin@example.com")
    error(call(stack, "POST", "partner-admin/create-user", other, body), 400, "Partner does not exist")


# ---------------------------------------------------------------- deactivation and reactivation


def test_deactivating_a_partner_and_reactivating_restores_only_what_was_active(
    stack: RunningStack, auth: AuthEmulator
) -> None:
    admin = super_admin(auth)
    partner = new_partner(stack, admin, "Bumble")
    other_partner = new_partner(stack, admin, "Badoo")
    keen, _ = new_partner_admin(stack, auth, admin, partner["id"], "keen@example.com")
    retired, retired_record = new_partner_admin(stack, auth, admin, partner["id"], "retired@example.com")
    other_admin, _ = new_partner_admin(stack, auth, admin, other_partner["id"], "other@example.com")
    live = new_code(stack, keen)
    withdrawn = new_code(stack, keen)
    elsewhere = new_code(stack, other_admin)
    ok(call(stack, "PATCH", f"partner-admin/{retired_record['id']}", admin, {"active": False}))
    ok(
        call(
            stack, "PATCH", f"partner-access/{withdrawn['id']}", admin, {"therapySessionsRemaining": 6, "active": False}
        )
    )

    off = ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": False}))
    assert off["isActive"] is False and off["id"] == partner["id"]
    assert ok(call(stack, "GET", "partner/bumble"))["isActive"] is False
    accesses = ok(call(stack, "GET", "partner-access", admin, params={"partnerId": partner["id"]}))
    assert {a["id"]: a["active"] for a in accesses} == {live["id"]: False, withdrawn["id"]: False}
    error(
        call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": live["accessCode"]}),
        400,
        "INACTIVE",
    )
    error(
        call(
            stack,
            "POST",
            "partner-access",
            keen,
            {"featureLiveChat": True, "featureTherapy": False, "therapySessionsRemaining": 0},
        ),
        403,
        "Forbidden",
    )
    # a second deactivation changes nothing and forgets nothing
    ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": False}))
    # the other partner is untouched
    assert (
        ok(
            call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": elsewhere["accessCode"]}),
            201,
        )["active"]
        is True
    )
    new_code(stack, other_admin)

    on = ok(call(stack, "PATCH", f"partner/{partner['id']}", admin, {"active": True}))
    assert on["isActive"] is True
    accesses = ok(call(stack, "GET", "partner-access", admin, params={"partnerId": partner["id"]}))
    assert {a["id"]: a["active"] for a in accesses} == {live["id"]: True, withdrawn["id"]: False}
    assert (
        ok(call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": live["accessCode"]}), 201)[
            "id"
        ]
        == live["id"]
    )
    error(
        call(stack, "POST", "partner-access/validate-code", None, {"partnerAccessCode": withdrawn["accessCode"]}),
        400,
        "INACTIVE",
    )
    new_code(stack, keen)  # restored
    error(
        call(
            stack,
            "POST",
            "partner-access",
            retired,
            {"featureLiveChat": True, "featureTherapy": False, "therapySessionsRemaining": 0},
        ),
        403,
        "Forbidden",
    )
    summaries = {account.email: UsersRepository().get(account.uid) for account in (keen, retired)}
    assert {
        email: (u.partner_admin.active, u.partner_admin.partner_active)
        for email, u in summaries.items()
        if u and u.partner_admin
    } == {
        "keen@example.com": (True, True),
        "retired@example.com": (False, True),
    }


def test_an_unknown_partner_cannot_be_patched(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    error(call(stack, "PATCH", "partner/nope", admin, {"active": False}), 404, "PARTNER NOT FOUND")
    partner = new_partner(stack, admin, "Bumble")
    error(call(stack, "PATCH", f"partner/{partner['id']}", admin, {}), 400, ["active is required"])
