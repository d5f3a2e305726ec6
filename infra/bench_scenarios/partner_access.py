"""Partners: the public calls a visitor's browser makes before signing up with a partner's access code
(`POST partner-access/validate-code`, `GET partner/{name}`, `GET partner-feature/automatic-access-code/{name}`)."""

from __future__ import annotations

import os
import uuid

import requests

from infra.auth_emulator import AuthEmulator
from infra.bench_scenarios import Probe
from infra.stack_runner import RunningStack

PARTNER = "Bench Partner"


def _post(stack: RunningStack, path: str, headers: dict[str, str], body: object) -> dict[str, object]:
    response = requests.post(f"{stack.api}/v1/{path}", json=body, headers=headers, timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:200]}")
    result: dict[str, object] = response.json()
    return result


def scenarios(stack: RunningStack) -> list[Probe]:
    # The super admin's user record is written directly (there is no API to make one); the rest goes through HTTP.
    os.environ.update(stack.env)
    from bloom.core.settings import get_settings

    get_settings.cache_clear()
    from bloom.users.repository import UsersRepository
    from bloom.users.schemas import UserRecord

    auth = AuthEmulator(stack.auth, stack.project)
    admin = auth.sign_up("bench-super-admin@example.com")
    UsersRepository().save(admin.uid, UserRecord(id=str(uuid.uuid4()), email=admin.email, is_super_admin=True))
    admin = auth.second_factor_token(auth.verify_email(admin))
    partner_admin = auth.sign_up("bench-partner-admin@example.com")
    partner_admin_id = str(uuid.uuid4())
    UsersRepository().save(partner_admin.uid, UserRecord(id=partner_admin_id, email=partner_admin.email))

    partner = _post(stack, "partner", admin.headers, {"name": PARTNER})
    feature = _post(stack, "feature", admin.headers, {"name": "AUTOMATIC_ACCESS_CODE"})
    _post(
        stack,
        "partner-feature",
        admin.headers,
        {"partnerId": partner["id"], "featureId": feature["id"], "active": True},
    )
    _post(stack, "partner-admin", admin.headers, {"userId": partner_admin_id, "partnerId": partner["id"]})
    access = _post(
        stack,
        "partner-access",
        partner_admin.headers,
        {"featureLiveChat": True, "featureTherapy": True, "therapySessionsRemaining": 6},
    )
    code = str(access["accessCode"]).lower()
    name = PARTNER.lower().replace(" ", "%20")
    return [
        Probe(
            "POST /v1/partner-access/validate-code (20 calls: rate limit)",
            "POST",
            "/v1/partner-access/validate-code",
            {},
            {"partnerAccessCode": code},
            calls=20,
        ),
        Probe("GET /v1/partner/{name}", "GET", f"/v1/partner/{name}"),
        Probe(
            "GET /v1/partner-feature/automatic-access-code/{name}",
            "GET",
            f"/v1/partner-feature/automatic-access-code/{name}",
        ),
    ]
