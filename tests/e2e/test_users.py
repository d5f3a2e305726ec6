"""The user endpoints over HTTP: the profile, profile changes, erasure, search and the Cypress tools."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from bloom.platform.store.client import db
from infra.auth_emulator import OWNER, AuthAccount, AuthEmulator
from infra.seed_content import DEMO_COURSE_UUID, DEMO_RESOURCE_UUID, DEMO_SESSION_UUIDS, seed_content
from infra.stack_runner import RunningStack
from tests.support.accounts import (
    PASSWORD,
    access_code,
    auth_emails,
    call,
    partner,
    partner_admin,
    signed_up,
    super_admin,
)
from tests.support.users import USER_KEYS, make_user
from tests.support.wait import eventually

ROUND_TRIPS = "X-Bloom-Firestore-Round-Trips"
CLIENT_STATE_KEYS = {"firebaseUid", "token", "loading", "loadError", "verifiedEmail", "MFAisSetup"}


def me(stack: RunningStack, account: AuthAccount) -> requests.Response:
    return requests.get(f"{stack.api}/v1/user/me", headers=account.headers, timeout=10)


def search(stack: RunningStack, admin: AuthAccount, criteria: Any) -> requests.Response:
    raw = criteria if isinstance(criteria, str) else json.dumps(criteria)
    return requests.get(f"{stack.api}/v1/user", params={"searchCriteria": raw}, headers=admin.headers, timeout=10)


# ---------------------------------------------------------------- GET user/me


def test_me_is_one_round_trip_with_accesses_admin_record_and_progress(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    code = access_code(stack, padmin)
    call(stack, "POST", "partner-access/assign", padmin, json={"partnerAccessCode": code})
    seed_content()
    call(stack, "POST", "session-user", padmin, json={"storyblokUuid": DEMO_SESSION_UUIDS[0]})
    call(stack, "POST", "resource-user", padmin, json={"storyblokUuid": DEMO_RESOURCE_UUID})

    response = me(stack, padmin)
    assert response.status_code == 200
    assert response.headers[ROUND_TRIPS] == "1"  # the user and the catalogues, read together by authentication
    profile = response.json()
    assert [a["accessCode"] for a in profile["partnerAccesses"]] == [code]
    assert [c["storyblokUuid"] for c in profile["courses"]] == [DEMO_COURSE_UUID]
    assert [r["storyblokUuid"] for r in profile["resources"]] == [DEMO_RESOURCE_UUID]
    assert profile["partnerAdmin"]["partner"]["name"] == "Bumble"
    assert profile["partnerAdmin"]["active"] is True
    assert not CLIENT_STATE_KEYS & set(profile["user"])


def test_me_records_last_active_at_once_a_day(stack: RunningStack, auth: AuthEmulator) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    account = make_user(auth, "sleepy@example.com", lastActiveAt=yesterday)
    first = me(stack, account)
    assert first.status_code == 200
    assert first.headers[ROUND_TRIPS] == "2"  # the user + the lastActiveAt write; nothing to batch-read
    recorded = first.json()["user"]["lastActiveAt"]
    assert datetime.fromisoformat(recorded).date() == datetime.now(UTC).date()
    second = me(stack, account)
    assert second.headers[ROUND_TRIPS] == "1"
    assert second.json()["user"]["lastActiveAt"] == recorded


def test_me_needs_a_bloom_user(stack: RunningStack, auth: AuthEmulator) -> None:
    account = auth.sign_up("no-record@example.com")
    response = me(stack, account)
    assert (response.status_code, response.json()["message"]) == (401, "USER_NOT_FOUND")


# ---------------------------------------------------------------- PATCH user, PATCH user/admin/:id


def test_patch_changes_fields_and_firebase_email(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "before@example.com")
    response = requests.patch(
        f"{stack.api}/v1/user",
        headers=account.headers,
        json={
            "name": "Renamed",
            "email": "After@Example.com",
            "signUpLanguage": "fr",
            "emailRemindersFrequency": "ONE_MONTH",
            "contactPermission": True,
            "isSuperAdmin": True,
            "crispTokenId": "chosen-by-client",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    user = response.json()
    assert set(user) == USER_KEYS
    assert (user["name"], user["email"], user["signUpLanguage"]) == ("Renamed", "after@example.com", "fr")
    assert user["emailRemindersFrequency"] == "ONE_MONTH" and user["contactPermission"] is True
    assert user["isSuperAdmin"] is False and user["crispTokenId"] != "chosen-by-client"
    assert auth_emails(stack) == ["after@example.com"]
    assert auth.sign_in("after@example.com", PASSWORD)["localId"] == account.uid
    assert me(stack, account).json()["user"]["email"] == "after@example.com"


def test_patch_errors(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "one@example.com")
    signed_up(stack, auth, "two@example.com")
    taken = requests.patch(
        f"{stack.api}/v1/user", headers=account.headers, json={"email": "two@example.com"}, timeout=10
    )
    assert (taken.status_code, taken.json()["message"]) == (400, "UPDATE_USER_ALREADY_EXISTS")
    invalid = requests.patch(
        f"{stack.api}/v1/user", headers=account.headers, json={"name": "n" * 51, "email": "nope"}, timeout=10
    )
    assert invalid.status_code == 400
    assert set(invalid.json()["message"]) == {"name must be at most 50 characters", "email must be an email"}
    assert me(stack, account).json()["user"]["email"] == "one@example.com"


def test_super_admin_patches_any_user(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    account = signed_up(stack, auth, "promote@example.com")
    user_id = me(stack, account).json()["user"]["id"]
    response = requests.patch(
        f"{stack.api}/v1/user/admin/{user_id}",
        headers=admin.headers,
        json={"isSuperAdmin": True, "name": "Promoted"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["isSuperAdmin"], response.json()["name"]) == (True, "Promoted")
    assert me(stack, account).json()["user"]["isSuperAdmin"] is True
    unknown = requests.patch(f"{stack.api}/v1/user/admin/nobody", headers=admin.headers, json={}, timeout=10)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "USER NOT FOUND")


# ---------------------------------------------------------------- deletion


def outbox_user_deleted(user_id: str) -> list[dict[str, Any]]:
    entries = [doc.to_dict() or {} for doc in db().collection("outbox").stream()]
    return [e for e in entries if e["topic"] == "user.deleted" and json.loads(e["data"])["user_id"] == user_id]


def test_delete_self_erases_account_and_record(stack: RunningStack, auth: AuthEmulator) -> None:
    account = signed_up(stack, auth, "leaving@example.com")
    user_id = me(stack, account).json()["user"]["id"]
    response = requests.delete(f"{stack.api}/v1/user", headers=account.headers, timeout=10)
    assert (response.status_code, response.json()) == (200, {"id": user_id})
    assert auth_emails(stack) == []
    assert db().collection("users").document(account.uid).get().exists is False
    gone = me(stack, account)
    assert (gone.status_code, gone.json()["message"]) == (401, "USER_NOT_FOUND")
    [entry] = eventually(lambda: outbox_user_deleted(user_id), lambda found: len(found) == 1)
    assert eventually(lambda: outbox_user_deleted(user_id)[0]["publishedAt"], lambda at: at is not None)
    assert "leaving" not in entry["data"]


def test_delete_finishes_after_the_account_was_already_removed(stack: RunningStack, auth: AuthEmulator) -> None:
    """A retry after a partial failure: the Firebase account is gone, the record is still there."""
    account = signed_up(stack, auth, "half-gone@example.com")
    user_id = me(stack, account).json()["user"]["id"]
    requests.post(
        f"{stack.auth}/identitytoolkit.googleapis.com/v1/projects/{stack.project}/accounts:delete",
        json={"localId": account.uid},
        headers=OWNER,
        timeout=10,
    ).raise_for_status()
    response = requests.delete(f"{stack.api}/v1/user", headers=account.headers, timeout=10)
    assert (response.status_code, response.json()) == (200, {"id": user_id})
    assert db().collection("users").document(account.uid).get().exists is False
    assert len(eventually(lambda: outbox_user_deleted(user_id), lambda found: len(found) == 1)) == 1


def test_super_admin_deletes_by_id(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    account = signed_up(stack, auth, "removed@example.com", partnerId=bumble["id"])
    user_id = me(stack, account).json()["user"]["id"]
    response = requests.delete(f"{stack.api}/v1/user/{user_id}", headers=admin.headers, timeout=10)
    assert (response.status_code, response.json()) == (200, {"id": user_id})
    assert auth_emails(stack) == ["super.admin@example.com"]
    again = requests.delete(f"{stack.api}/v1/user/{user_id}", headers=admin.headers, timeout=10)
    assert (again.status_code, again.json()["message"]) == (404, "USER NOT FOUND")


# ---------------------------------------------------------------- search


def test_search_by_email_substring(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    for email in ("alice.smith@example.com", "ALICE.jones@another.org", "bob@example.com", "abcxbcd@example.com"):
        make_user(auth, email.lower())

    def emails(criteria: Any) -> list[str]:
        response = search(stack, admin, criteria)
        assert response.status_code == 200, response.text
        return [result["user"]["email"] for result in response.json()]

    assert emails({"email": "Alice"}) == ["alice.jones@another.org", "alice.smith@example.com"]
    assert emails({"email": "SMITH@exa"}) == ["alice.smith@example.com"]
    assert emails({"email": "h@example.com"}) == ["alice.smith@example.com"]
    assert emails({"email": "@another.org"}) == ["alice.jones@another.org"]
    assert emails({"email": "abcd"}) == []  # holds the trigrams abc and bcd, but not the substring
    assert emails({"email": "ob"}) == ["bob@example.com"]  # shorter than a trigram: the capped scan
    assert len(emails({"email": "example", "limit": 1})) == 1
    assert len(emails({})) == 5  # with the super admin


def test_search_results_and_partner_filters(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    code = access_code(stack, padmin, featureTherapy=True, therapySessionsRemaining=2)
    signed_up(stack, auth, "therapy@example.com", partnerAccessCode=code)
    signed_up(stack, auth, "chat-only@example.com", partnerId=bumble["id"])

    therapy = search(
        stack,
        admin,
        {"email": "example", "partnerAccess": {"featureTherapy": True, "active": True}, "include": ["partnerAccess"]},
    ).json()
    assert [r["user"]["email"] for r in therapy] == ["therapy@example.com"]
    assert set(therapy[0]) == {"user", "partnerAccesses", "partnerAdmin"}
    assert set(therapy[0]["user"]) == USER_KEYS
    [access] = therapy[0]["partnerAccesses"]
    assert access["accessCode"] == code and access["therapySessionsRemaining"] == 2
    assert access["partner"]["name"] == "Bumble"

    no_email = search(stack, admin, {"partnerAccess": {"featureTherapy": False}}).json()
    assert [r["user"]["email"] for r in no_email] == ["chat-only@example.com"]

    admins = search(stack, admin, {"partnerAdmin": {"partnerAdminId": "IS NOT NULL"}, "include": ["partnerAdmin"]})
    [found] = admins.json()
    assert found["user"]["email"] == "padmin@example.com"
    assert found["partnerAdmin"]["partner"]["id"] == bumble["id"]
    assert found["partnerAccesses"] == []  # not asked for
    admin_id = found["partnerAdmin"]["id"]
    for criteria, expected in (
        ({"email": "example", "partnerAdmin": {"partnerAdminId": "IS NOT NULL"}}, ["padmin@example.com"]),
        ({"email": "therapy", "partnerAdmin": {"partnerAdminId": "IS NOT NULL"}}, []),
        ({"email": "ad", "partnerAdmin": {"partnerAdminId": admin_id}}, ["padmin@example.com"]),
        ({"partnerAdmin": {"partnerAdminId": "another-id"}}, []),
    ):
        assert [r["user"]["email"] for r in search(stack, admin, criteria).json()] == expected, criteria


def test_search_criteria_errors(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bad_json = search(stack, admin, "{not json")
    assert (bad_json.status_code, bad_json.json()["message"]) == (400, ["searchCriteria must be valid JSON"])
    too_many = search(stack, admin, {"limit": 51})
    assert (too_many.status_code, too_many.json()["message"]) == (
        400,
        ["searchCriteria.limit must not be greater than 50"],
    )
    assert search(stack, admin, "[1, 2]").status_code == 400


# ---------------------------------------------------------------- Cypress tools


def test_cypress_users_are_counted_and_erased(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    cypress = [make_user(auth, f"cypresstestemail+{n}@chayn.co") for n in range(3)]
    make_user(auth, "cypresstestemail+1@elsewhere.co")
    make_user(auth, "someone@chayn.co")
    count = requests.get(f"{stack.api}/v1/user/cypress/count", headers=admin.headers, timeout=10)
    assert (count.status_code, count.json()) == (200, {"count": 3})

    deleted = requests.delete(f"{stack.api}/v1/user/cypress", headers=admin.headers, timeout=30)
    assert deleted.status_code == 200, deleted.text
    assert sorted(item["id"] for item in deleted.json()) == sorted(f"user-{a.uid}" for a in cypress)
    assert auth_emails(stack) == ["cypresstestemail+1@elsewhere.co", "someone@chayn.co", "super.admin@example.com"]
    after = requests.get(f"{stack.api}/v1/user/cypress/count", headers=admin.headers, timeout=10)
    assert after.json() == {"count": 0}


# ---------------------------------------------------------------- dev CLI: seed, make-super-admin


def all_documents() -> dict[str, Any]:
    """Every domain document, not those the event pipeline writes: a previous test's (or this seed's) events may
    still be arriving, and subscribers (the reporting counters, the CRM contact records) write as they land."""
    return {
        doc.reference.path: doc.to_dict()
        for coll in db().collections()
        if coll.id not in ("processedEvents", "outbox", "reportingCounters", "reportingEvents", "crmContacts")
        for doc in coll.stream()
    }


def test_seed_loads_the_demo_accounts_once(stack: RunningStack, auth: AuthEmulator) -> None:
    from infra.seed import ACCOUNTS, BADOO_ADMIN, BUMBLE_ADMIN, seed

    lines = seed()
    documents, accounts = all_documents(), auth_emails(stack)
    assert seed() == lines
    assert all_documents() == documents  # a second run changes nothing
    assert auth_emails(stack) == accounts == sorted(account.email for account in ACCOUNTS)
    assert len(lines) == len(ACCOUNTS) and all(account.password in " ".join(lines) for account in ACCOUNTS)

    bumble = requests.get(f"{stack.api}/v1/partner-feature/automatic-access-code/Bumble", timeout=10).json()
    assert bumble["active"] is True and bumble["feature"]["name"] == "AUTOMATIC_ACCESS_CODE"
    assert requests.get(f"{stack.api}/v1/partner-feature/automatic-access-code/Badoo", timeout=10).json() is None
    for account, partner_name in ((BUMBLE_ADMIN, "Bumble"), (BADOO_ADMIN, "Badoo")):
        token = auth.sign_in(account.email, account.password)["idToken"]
        profile = requests.get(f"{stack.api}/v1/user/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert profile.json()["partnerAdmin"]["partner"]["name"] == partner_name


def test_make_super_admin(stack: RunningStack, auth: AuthEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    from infra.cli import main

    assert stack.log_path is not None
    state_file = str(stack.log_path.parent / "stack.json")
    account = signed_up(stack, auth, "future.admin@example.com")
    main(["--state-file", state_file, "make-super-admin", "Future.Admin@example.com"])
    printed = capsys.readouterr().out
    assert "is now a super admin" in printed and "second factor" in printed and "verify" in printed
    assert me(stack, account).json()["user"]["isSuperAdmin"] is True
    with pytest.raises(SystemExit):
        main(["--state-file", state_file, "make-super-admin", "nobody@example.com"])
