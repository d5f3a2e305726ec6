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
    busy = register(CreateUser.model_validate(_signup_body("bench-admin@example.com", partnerId=partner.id)))
    partners.create_partner_admin(busy.user.id, partner.id)
    _start_demo_content("bench-admin@example.com")

    auth = AuthEmulator(stack.auth, stack.project)
    public = {"Authorization": f"Bearer {auth.sign_in('bench-public@example.com', PASSWORD)['idToken']}"}
    partnered = {"Authorization": f"Bearer {auth.sign_in('bench-partner@example.com', PASSWORD)['idToken']}"}
    admin = {"Authorization": f"Bearer {auth.sign_in('bench-admin@example.com', PASSWORD)['idToken']}"}
    return [
        Probe("GET /v1/user/me (public user)", "GET", "/v1/user/me", headers=public),
        Probe("GET /v1/user/me (user with a partner access)", "GET", "/v1/user/me", headers=partnered),
        Probe(
            "GET /v1/user/me (partner admin with an access, a course and a resource started)",
            "GET",
            "/v1/user/me",
            headers=admin,
        ),
        Probe(
            "POST /v1/user (signup, 10 calls: rate limit)",
            "POST",
            "/v1/user",
            body_factory=lambda: _signup_body(f"bench-{uuid.uuid4().hex[:12]}@example.com"),
            calls=10,
        ),
    ]


def _start_demo_content(email: str) -> None:
    """The demo course's sessions and the demo resource, started by the user with this email."""
    from bloom.content import progress
    from bloom.users import service as users
    from infra.seed_content import DEMO_RESOURCE_UUID, DEMO_SESSION_UUIDS, seed_content

    seed_content()
    found = users.find_by_email(email)
    assert found is not None
    auth_uid, user = found
    for session_uuid in DEMO_SESSION_UUIDS:
        progress.change_session(user, auth_uid, session_uuid, "complete")
        user = users.record_of(auth_uid) or user
    progress.change_resource(user, auth_uid, DEMO_RESOURCE_UUID, "start")
