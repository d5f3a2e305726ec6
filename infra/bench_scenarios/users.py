"""Accounts: `GET user/me` (the request every page load makes) and `POST user` (signup).

`POST user` is rate-limited to 10 calls a minute per IP, so it is measured over 10 calls, each with a new email.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from infra.auth_emulator import AuthEmulator
from infra.bench_scenarios import Probe
from infra.stack_runner import RunningStack

PASSWORD = "bench-Password-2024"  # noqa: S105 - accounts on the emulator


def _signup_body(email: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Bench", "email": email, "password": PASSWORD, "contactPermission": True, **extra}


def scenarios(stack: RunningStack) -> list[Probe]:
    # Prepared through the services (signup over HTTP would spend the rate limit the POST probe needs).
    os.environ.update(stack.env)
    from bloom.core.settings import get_settings

    get_settings.cache_clear()
    from bloom.accounts.schemas import CreateUser
    from bloom.accounts.service import register
    from bloom.partners import service as partners
    from bloom.partners.schemas import CreateFeature, CreatePartner, CreatePartnerFeature

    partner = partners.create_partner(CreatePartner(name="Bench Users Partner"))
    feature = partners.create_feature(CreateFeature(name="AUTOMATIC_ACCESS_CODE"))
    partners.create_partner_feature(CreatePartnerFeature(partner_id=partner.id, feature_id=feature.id, active=True))
    register(CreateUser.model_validate(_signup_body("bench-public@example.com")))
    register(CreateUser.model_validate(_signup_body("bench-partner@example.com", partnerId=partner.id)))

    auth = AuthEmulator(stack.auth, stack.project)
    public = {"Authorization": f"Bearer {auth.sign_in('bench-public@example.com', PASSWORD)['idToken']}"}
    partnered = {"Authorization": f"Bearer {auth.sign_in('bench-partner@example.com', PASSWORD)['idToken']}"}
    return [
        Probe("GET /v1/user/me (public user)", "GET", "/v1/user/me", headers=public),
        Probe("GET /v1/user/me (user with a partner access)", "GET", "/v1/user/me", headers=partnered),
        Probe(
            "POST /v1/user (signup, 10 calls: rate limit)",
            "POST",
            "/v1/user",
            body_factory=lambda: _signup_body(f"bench-{uuid.uuid4().hex[:12]}@example.com"),
            calls=10,
        ),
    ]
