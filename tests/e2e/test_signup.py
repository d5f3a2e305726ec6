"""`POST user` over HTTP, as the frontend signs people up: plain, with an access code, with automatic access."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import (
    PASSWORD,
    access_code,
    auth_emails,
    call,
    partner,
    partner_admin,
    sign_up,
    signed_up,
    signup_body,
    super_admin,
)
from tests.support.users import USER_KEYS

PROFILE_KEYS = {"user", "partnerAccesses", "partnerAdmin", "courses", "resources", "subscriptions"}


def test_plain_signup_creates_account_and_user(stack: RunningStack, auth: AuthEmulator) -> None:
    response = sign_up(
        stack,
        "New.Person@Example.COM",
        name="New Person",
        signUpLanguage="es",
        emailRemindersFrequency="TWO_WEEKS",
        contactPermission=True,
        firebaseUid="ignored",
        token="ignored",
        isSuperAdmin=True,
    )
    assert response.status_code == 201, response.text
    profile = response.json()
    assert set(profile) == PROFILE_KEYS
    user = profile["user"]
    assert set(user) == USER_KEYS
    assert user["email"] == "new.person@example.com"
    assert (user["name"], user["signUpLanguage"], user["emailRemindersFrequency"]) == ("New Person", "es", "TWO_WEEKS")
    assert user["contactPermission"] is True and user["serviceEmailsPermission"] is True
    assert user["isSuperAdmin"] is False and user["isActive"] is True and user["deletedAt"] is None
    assert user["crispTokenId"] and user["createdAt"] and user["lastActiveAt"]
    assert profile["partnerAccesses"] == [] and profile["partnerAdmin"] is None
    assert (profile["courses"], profile["resources"], profile["subscriptions"]) == ([], [], [])

    signed_in = auth.sign_in("new.person@example.com", PASSWORD)
    me = requests.get(
        f"{stack.api}/v1/user/me", headers={"Authorization": f"Bearer {signed_in['idToken']}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["user"]["id"] == user["id"]
    assert me.json()["user"]["crispTokenId"] == user["crispTokenId"]


def test_defaults(stack: RunningStack) -> None:
    user = sign_up(stack, "defaults@example.com").json()["user"]
    assert user["emailRemindersFrequency"] == "NEVER"
    assert user["signUpLanguage"] is None
    assert user["contactPermission"] is False and user["serviceEmailsPermission"] is True


def test_every_validation_problem_is_listed(stack: RunningStack) -> None:
    response = requests.post(
        f"{stack.api}/v1/user",
        json={
            "name": "x" * 51,
            "email": "not-an-email",
            "password": "p" * 129,
            "contactPermission": "yes",
            "emailRemindersFrequency": "DAILY",
            "signUpLanguage": "xx",
        },
        timeout=10,
    )
    assert response.status_code == 400
    messages = response.json()["message"]
    assert isinstance(messages, list)
    assert "name must be at most 50 characters" in messages
    assert "email must be an email" in messages
    assert "password must be at most 128 characters" in messages
    assert "contactPermission must be a boolean" in messages
    assert any(m.startswith("emailRemindersFrequency must be one of the following values") for m in messages)
    assert any(m.startswith("signUpLanguage must be one of the following values") for m in messages)
    missing = requests.post(f"{stack.api}/v1/user", json={"email": "a@example.com"}, timeout=10).json()["message"]
    assert {"name is required", "password is required", "contactPermission is required"} <= set(missing)
    assert auth_emails(stack) == []


def test_weak_passwords_are_refused_before_any_account_exists(stack: RunningStack) -> None:
    for password in ("short1!", "password123", "Password123", "qwertyuiop", "12345678"):
        response = sign_up(stack, "weak@example.com", password=password)
        assert (response.status_code, response.json()["message"]) == (400, "CREATE_USER_WEAK_PASSWORD"), password
    assert auth_emails(stack) == []


def test_any_character_is_allowed_in_a_password(stack: RunningStack, auth: AuthEmulator) -> None:
    password = " ünïcødé 🔐 \"quoted\" 'and' <tags> \\ "
    account = signed_up(stack, auth, "chars@example.com", password=password)
    assert account.token


def test_an_email_that_is_taken_in_any_case(stack: RunningStack) -> None:
    assert sign_up(stack, "taken@example.com").status_code == 201
    again = sign_up(stack, "TAKEN@example.com")
    assert (again.status_code, again.json()["message"]) == (400, "CREATE_USER_ALREADY_EXISTS")
    assert auth_emails(stack) == ["taken@example.com"]


def test_signup_with_an_access_code(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=False)
    padmin = partner_admin(stack, auth, admin, bumble["id"], "padmin@example.com")
    code = access_code(stack, padmin, featureTherapy=True, therapySessionsRemaining=3)

    response = sign_up(stack, "coded@example.com", partnerAccessCode=code.lower())
    assert response.status_code == 201, response.text
    accesses = response.json()["partnerAccesses"]
    assert len(accesses) == 1
    access = accesses[0]
    assert access["accessCode"] == code and access["activatedAt"] is not None
    assert access["featureTherapy"] is True and access["therapySessionsRemaining"] == 3
    assert access["partner"]["name"] == "Bumble" and isinstance(access["partner"]["partnerFeature"], list)

    reused = sign_up(stack, "second@example.com", partnerAccessCode=code)
    assert (reused.status_code, reused.json()["message"]) == (409, "ALREADY_IN_USE")
    for bad, message in (("ABC", "INVALID_CODE"), ("ZZZZZZ", "DOES_NOT_EXIST")):
        refused = sign_up(stack, "second@example.com", partnerAccessCode=bad)
        assert (refused.status_code, refused.json()["message"]) == (400, message)
    assert "second@example.com" not in auth_emails(stack)
    # '' means no code: a plain signup
    plain = sign_up(stack, "second@example.com", partnerAccessCode="")
    assert plain.status_code == 201 and plain.json()["partnerAccesses"] == []


def test_signup_with_automatic_access(stack: RunningStack, auth: AuthEmulator) -> None:
    admin = super_admin(auth)
    bumble = partner(stack, admin, "Bumble", automatic_access=True)
    badoo = partner(stack, admin, "Badoo", automatic_access=False)

    response = sign_up(stack, "auto@example.com", partnerId=bumble["id"])
    assert response.status_code == 201, response.text
    [access] = response.json()["partnerAccesses"]
    assert access["partner"]["id"] == bumble["id"]
    assert (access["featureLiveChat"], access["featureTherapy"]) == (True, False)
    assert (access["therapySessionsRemaining"], access["therapySessionsRedeemed"]) == (0, 0)
    assert access["accessCode"] is None and access["activatedAt"] is not None
    account = auth.sign_in("auto@example.com", PASSWORD)
    me = requests.get(f"{stack.api}/v1/user/me", headers={"Authorization": f"Bearer {account['idToken']}"}, timeout=10)
    assert [a["id"] for a in me.json()["partnerAccesses"]] == [access["id"]]

    call(stack, "PATCH", f"partner/{badoo['id']}", admin, json={"active": False})
    for partner_id, message in (
        ("no-such-partner", "Invalid partnerId supplied"),
        (badoo["id"], "Partner is not active"),
    ):
        refused = sign_up(stack, "refused@example.com", partnerId=partner_id)
        assert (refused.status_code, refused.json()["message"]) == (400, message)
    call(stack, "PATCH", f"partner/{badoo['id']}", admin, json={"active": True})
    refused = sign_up(stack, "refused@example.com", partnerId=badoo["id"])
    assert (refused.status_code, refused.json()["message"]) == (
        400,
        "Partner does not have automatic access code Feature",
    )
    # The account was created before the partner checks ran in the transaction; each failure removed it again.
    assert "refused@example.com" not in auth_emails(stack)


def test_signup_is_rate_limited_per_ip(stack: RunningStack) -> None:
    stack.pin_rate_limit_clock(datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC))  # every attempt in one window
    headers = {"X-Forwarded-For": "203.0.113.9"}

    def attempt(extra: dict[str, str]) -> requests.Response:
        body = signup_body("limited@example.com", password="short")  # counted, then refused as weak
        return requests.post(f"{stack.api}/v1/user", json=body, headers=extra, timeout=10)

    statuses = [attempt(headers).status_code for _ in range(10)]
    assert statuses == [400] * 10
    limited = attempt(headers)
    assert (limited.status_code, limited.json()["message"]) == (429, "ThrottlerException: Too Many Requests")
    assert attempt({"X-Forwarded-For": "203.0.113.10"}).status_code == 400
    # What the client writes to the left of the proxies' entries cannot move it to another bucket.
    assert attempt({"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}).status_code == 429
