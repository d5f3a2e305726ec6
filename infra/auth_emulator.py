"""A client for the Firebase Auth emulator's REST API: real tokens for users, verified emails and second-factor
sign-ins, as the frontend would get them (tests, bench)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

API_KEY = "fake-api-key"
OWNER = {"Authorization": "Bearer owner"}


@dataclass(frozen=True)
class AuthAccount:
    uid: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class AuthEmulator:
    def __init__(self, base_url: str, project: str) -> None:
        self.base, self.project = base_url, project

    def _post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = requests.post(f"{self.base}/{path}?key={API_KEY}", json=body, headers=headers or {}, timeout=10)
        if not response.ok:
            raise AssertionError(f"auth emulator {path}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def sign_up(self, email: str, password: str = "a-Long-password-1") -> AuthAccount:  # noqa: S107 - emulator only
        result = self._post(
            "identitytoolkit.googleapis.com/v1/accounts:signUp",
            {"email": email, "password": password, "returnSecureToken": True},
        )
        return AuthAccount(result["localId"], email, password, result["idToken"])

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        return self._post(
            "identitytoolkit.googleapis.com/v1/accounts:signInWithPassword",
            {"email": email, "password": password, "returnSecureToken": True},
        )

    def token_for(self, account: AuthAccount) -> AuthAccount:
        result = self.sign_in(account.email, account.password)
        return AuthAccount(account.uid, account.email, account.password, result["idToken"])

    def update(self, uid: str, **fields: Any) -> None:
        self._post(
            f"identitytoolkit.googleapis.com/v1/projects/{self.project}/accounts:update",
            {"localId": uid, **fields},
            OWNER,
        )

    def verify_email(self, account: AuthAccount) -> AuthAccount:
        self.update(account.uid, emailVerified=True)
        return self.token_for(account)

    def second_factor_token(self, account: AuthAccount, phone: str = "+15555550100") -> AuthAccount:
        """Enrol a phone second factor and complete a real MFA sign-in; the token carries sign_in_second_factor."""
        self.update(
            account.uid,
            mfa={"enrollments": [{"mfaEnrollmentId": "phone-1", "phoneInfo": phone, "displayName": "phone"}]},
        )
        first = self.sign_in(account.email, account.password)
        pending, enrollment = first["mfaPendingCredential"], first["mfaInfo"][0]["mfaEnrollmentId"]
        started = self._post(
            "identitytoolkit.googleapis.com/v2/accounts/mfaSignIn:start",
            {"mfaPendingCredential": pending, "mfaEnrollmentId": enrollment, "phoneSignInInfo": {"phoneNumber": phone}},
        )
        session = started["phoneResponseInfo"]["sessionInfo"]
        codes = requests.get(f"{self.base}/emulator/v1/projects/{self.project}/verificationCodes", timeout=10).json()
        code = next(c["code"] for c in codes["verificationCodes"] if c["sessionInfo"] == session)
        finished = self._post(
            "identitytoolkit.googleapis.com/v2/accounts/mfaSignIn:finalize",
            {"mfaPendingCredential": pending, "phoneVerificationInfo": {"sessionInfo": session, "code": code}},
        )
        return AuthAccount(account.uid, account.email, account.password, finished["idToken"])
