"""People in the practice over HTTP: therapists (created by a practice admin, audited), discovery with filters
and cursor pages, assignments and their state machine, connections and `GET practice/me`."""

from __future__ import annotations

import requests

from bloom.identity import service as identity
from bloom.practice import service as practice
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import auth_emails, call
from tests.support.practice import P, patient, practice_admin, therapist, user_id


def post(stack: RunningStack, path: str, headers: dict[str, str], body: object = None) -> requests.Response:
    return requests.post(f"{stack.api}/v1/{P}/{path}", json=body or {}, headers=headers, timeout=30)


def test_a_practice_admin_creates_a_therapist_and_it_is_audited(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.one@example.com", languages=["en", "es"])
    me = call(stack, "GET", f"{P}/me", dr.account)
    assert me["roles"] == ["therapist"]
    assert me["therapistProfile"]["id"] == dr.profile_id
    assert me["therapistProfile"]["languages"] == ["en", "es"]
    actions = sorted(record.action for record in identity.auth_audit_of(dr.user_id))
    assert actions == ["role_changed", "therapist_created"]

    again = post(stack, "therapists", admin.headers, {"email": "dr.one@example.com", "name": "Dr Again"})
    assert (again.status_code, again.json()["message"]) == (409, "THERAPIST_ALREADY_EXISTS")
    assert "dr.one@example.com" in auth_emails(stack)  # an existing account is never removed


def test_a_failed_therapist_creation_leaves_no_account(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    bad = post(stack, "therapists", admin.headers, {"email": "not-an-email", "name": "X"})
    assert bad.status_code == 400
    assert auth_emails(stack) == ["practice.admin@example.com"]


def test_discovery_filters_and_pages(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    for index in range(5):
        therapist(
            stack,
            auth,
            admin,
            f"dr.{index}@example.com",
            mfa=False,
            languages=["en"] if index % 2 == 0 else ["fr"],
            specialties=["Trauma"] if index < 3 else ["grief"],
            licensedIn=["US-CA"],
            acceptingPatients=index != 0,
        )
    seeker = patient(auth, "seeker@example.com")
    english = call(stack, "GET", f"{P}/therapists?language=en", seeker)["items"]
    assert len(english) == 3 and all("userId" not in card for card in english)
    both = call(stack, "GET", f"{P}/therapists?language=en&specialty=trauma&acceptingPatients=true", seeker)
    assert len(both["items"]) == 1
    seen: list[str] = []
    cursor = None
    while True:
        query = f"{P}/therapists?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call(stack, "GET", query, seeker)
        seen += [card["id"] for card in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    bad = requests.get(f"{stack.api}/v1/{P}/therapists?cursor=%%%", headers=seeker.headers, timeout=30)
    assert bad.status_code == 400
    invalid = requests.get(f"{stack.api}/v1/{P}/therapists?language=english", headers=seeker.headers, timeout=30)
    assert invalid.status_code == 400


def test_the_assignment_state_machine(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.sm@example.com")
    pat = patient(auth, "pat.sm@example.com")

    requested = post(stack, "assignments", pat.headers, {"therapistId": dr.profile_id})
    assert requested.status_code == 201, requested.text
    assignment = requested.json()
    assert (assignment["status"], assignment["patientId"]) == ("requested", user_id(pat))
    twice = post(stack, "assignments", pat.headers, {"therapistId": dr.profile_id})
    assert (twice.status_code, twice.json()["message"]) == (409, "ASSIGNMENT_ALREADY_OPEN")

    declined = post(stack, f"assignments/{assignment['id']}/decline", dr.headers)
    assert declined.json()["status"] == "declined"
    assert post(stack, f"assignments/{assignment['id']}/accept", dr.headers).status_code == 409

    second = post(stack, "assignments", pat.headers, {"therapistId": dr.profile_id}).json()
    accepted = post(stack, f"assignments/{second['id']}/accept", dr.headers).json()
    assert accepted["status"] == "active" and accepted["startedAt"] is not None
    me = call(stack, "GET", f"{P}/me", pat)
    assert me["roles"] == ["patient"] and [a["id"] for a in me["activeAssignments"]] == [second["id"]]
    connections = call(stack, "GET", f"{P}/connections", dr.account)
    assert [(c["assignment"]["id"], c["patient"]["name"]) for c in connections] == [(second["id"], "Pat")]
    mine = call(stack, "GET", f"{P}/connections", pat)
    assert [c["therapist"]["id"] for c in mine] == [dr.profile_id]

    ended = post(stack, f"assignments/{second['id']}/end", pat.headers).json()
    assert (ended["status"], ended["endedBy"]) == ("ended", user_id(pat))
    assert post(stack, f"assignments/{second['id']}/end", pat.headers).status_code == 409
    direct = post(stack, "assignments", admin.headers, {"therapistId": dr.profile_id, "patientId": user_id(pat)})
    assert direct.json()["status"] == "active"


def test_a_therapist_not_accepting_patients_cannot_be_asked(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.full@example.com", acceptingPatients=False)
    pat = patient(auth, "pat.full@example.com")
    refused = post(stack, "assignments", pat.headers, {"therapistId": dr.profile_id})
    assert (refused.status_code, refused.json()["message"]) == (409, "THERAPIST_NOT_ACCEPTING_PATIENTS")
    self_assign = post(stack, "assignments", admin.headers, {"therapistId": dr.profile_id, "patientId": dr.user_id})
    assert self_assign.status_code == 409


def test_concurrent_requests_open_one_assignment(stack: RunningStack, auth: AuthEmulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.race@example.com")
    pat = patient(auth, "pat.race@example.com")
    body = {"therapistId": dr.profile_id}
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: post(stack, "assignments", pat.headers, body).status_code, range(6)))
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409, 503}


def test_a_practice_admin_needs_a_second_factor(stack: RunningStack, auth: AuthEmulator) -> None:
    from tests.support.users import make_user

    account = make_user(auth, "runs.practice@example.com")
    assert practice.grant_practice_admin("runs.practice@example.com") is True
    assert practice.grant_practice_admin("runs.practice@example.com") is False
    fresh = auth.token_for(account)
    assert requests.get(f"{stack.api}/v1/{P}/me", headers=fresh.headers, timeout=30).status_code == 403
    with_mfa = auth.second_factor_token(fresh)
    assert call(stack, "GET", f"{P}/me", with_mfa)["roles"] == ["practice_admin"]
    actions = sorted(r.action for r in identity.auth_audit_of(f"user-{account.uid}"))
    assert actions == ["role_changed", "second_factor_missing"]
