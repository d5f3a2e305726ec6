"""Demo accounts for a local stack (`python -m infra.cli seed`), the ones the frontend's e2e tests sign in with.

- partner **Bumble** with an active AUTOMATIC_ACCESS_CODE partner feature, and its partner admin;
- partner **Badoo** without that feature, and its partner admin;
- one public user, and one super admin (MFA still to be enrolled on first sign-in).

Everything goes through the services the API uses. Idempotent: what exists is left alone, so a second run
changes nothing. The passwords are public (docs/development.md, "Demo data and accounts"): it refuses to run
outside the emulators.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bloom.accounts import service as accounts
from bloom.accounts.schemas import CreateUser
from bloom.core.errors import NotFound
from bloom.partners import service as partners
from bloom.partners.schemas import AUTOMATIC_ACCESS_CODE, CreateFeature, CreatePartner, CreatePartnerFeature, PartnerOut
from bloom.users import service as users
from bloom.users.repository import UsersRepository
from bloom.users.schemas import UserRecord


@dataclass(frozen=True)
class DemoAccount:
    role: str
    name: str
    email: str
    password: str
    partner: str | None = None


SUPER_ADMIN = DemoAccount("super admin", "Super Admin", "superadmin@example.com", "bloom-demo-super-admin")
BUMBLE_ADMIN = DemoAccount("partner admin", "Bumble Admin", "bumble.admin@example.com", "bloom-demo-bumble", "Bumble")
BADOO_ADMIN = DemoAccount("partner admin", "Badoo Admin", "badoo.admin@example.com", "bloom-demo-badoo", "Badoo")
PUBLIC_USER = DemoAccount("public user", "Public User", "public.user@example.com", "bloom-demo-public-user")
ACCOUNTS = (SUPER_ADMIN, BUMBLE_ADMIN, BADOO_ADMIN, PUBLIC_USER)
PARTNERS = {"Bumble": True, "Badoo": False}  # name -> has an active AUTOMATIC_ACCESS_CODE feature


def _require_emulators() -> None:
    missing = [name for name in ("FIRESTORE_EMULATOR_HOST", "FIREBASE_AUTH_EMULATOR_HOST") if not os.environ.get(name)]
    if missing:
        raise RuntimeError(
            f"seed writes accounts with published passwords: emulators only ({', '.join(missing)} unset)"
        )


def _partner(name: str, automatic_access: bool) -> PartnerOut:
    try:
        partner = partners.get_partner_by_name(name)
    except NotFound:
        partner = partners.create_partner(CreatePartner(name=name))
    if not automatic_access:
        return partner
    existing = next((pf for pf in partner.partner_feature if pf.feature.name == AUTOMATIC_ACCESS_CODE), None)
    if existing is None:
        feature = next((f for f in partners.list_features() if f.name == AUTOMATIC_ACCESS_CODE), None)
        if feature is None:
            feature = partners.create_feature(CreateFeature(name=AUTOMATIC_ACCESS_CODE))
        partners.create_partner_feature(CreatePartnerFeature(partner_id=partner.id, feature_id=feature.id, active=True))
    elif not existing.active:
        partners.update_partner_feature(existing.id, True)
    return partners.get_partner_by_name(name)


def _user(account: DemoAccount) -> tuple[str, UserRecord]:
    found = UsersRepository().find_by_email(account.email)
    if found is None:
        accounts.register(
            CreateUser(
                name=account.name,
                email=account.email,
                password=account.password,
                contact_permission=False,
                sign_up_language="en",
            )
        )
        found = UsersRepository().find_by_email(account.email)
    assert found is not None
    return found


def seed() -> list[str]:
    """Create what is missing; returns one line per demo account."""
    _require_emulators()
    from bloom.users import firebase_accounts

    partner_ids = {name: _partner(name, automatic).id for name, automatic in PARTNERS.items()}
    lines = []
    for account in ACCOUNTS:
        auth_uid, user = _user(account)
        if account.partner is not None and user.partner_admin is None:
            partners.create_partner_admin(user.id, partner_ids[account.partner])
        if account is SUPER_ADMIN:
            users.grant_super_admin(account.email)
            if not firebase_accounts.is_email_verified(auth_uid):
                firebase_accounts.mark_email_verified(auth_uid)
        of = f" of {account.partner}" if account.partner else ""
        lines.append(f"{account.role + of:26} {account.email:28} password: {account.password}")
    return lines
