"""What Crisp and Mailchimp hold of a user, as pure functions of the user's current state, and the record of
what we have put there.

`CrmSnapshot` is the state the profiles are built from (the user, their active partner accesses, their
course progress), read fresh for every sync; `crisp_profile` and `mailchimp_member` turn it into the whole
profile each provider gets, so a sync writes everything every time and converges whatever events came before.

`crmContacts/{userId}.{provider}` (`CrmContactRecord`) remembers which email addresses hold a profile at the
provider and a fingerprint of what was last written. It is what erasure works from: the user document is deleted before
USER_DELETED is published, so the addresses to erase must be kept here. A sync records the address in a
transaction that also checks that the user still exists (so an erasure either sees the address or the sync sees
no user), before it calls the provider. Once the provider has erased them, the record is deleted.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.crm.schemas import Provider

PUBLIC_SEGMENT = "public"
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class AccessFacts:
    partner_name: str
    live_chat: bool
    therapy: bool
    therapy_remaining: int
    therapy_redeemed: int


@dataclass(frozen=True)
class CourseFacts:
    name: str
    completed: bool
    sessions_started: tuple[str, ...]  # started and not completed
    sessions_completed: tuple[str, ...]


@dataclass(frozen=True)
class CrmSnapshot:
    user_id: str
    email: str
    name: str
    sign_up_language: str | None
    contact_permission: bool
    service_emails_permission: bool
    created_at: datetime | None
    accesses: tuple[AccessFacts, ...]  # active accesses only
    courses: tuple[CourseFacts, ...]


# ---------------------------------------------------------------- rules


def may_chat(snapshot: CrmSnapshot) -> bool:
    """The spec's rule: no partner access, or at least one active access with live chat."""
    return not snapshot.accesses or any(access.live_chat for access in snapshot.accesses)


def partner_names(snapshot: CrmSnapshot) -> list[str]:
    return sorted({access.partner_name for access in snapshot.accesses})


def segments(snapshot: CrmSnapshot) -> list[str]:
    """Crisp segments: the user's partners (lower-cased), or `public` for a user without a partner access."""
    names = sorted({name.lower() for name in partner_names(snapshot)})
    return names or [PUBLIC_SEGMENT]


def acronym(name: str) -> str:
    """`Healing from trauma` → `hft`: the short course key of the original system's data fields."""
    return "".join(word[0] for word in name.split() if word).lower()


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", acronym(name)) or "course"


def course_data(snapshot: CrmSnapshot) -> dict[str, str | int]:
    data: dict[str, str | int] = {
        "courses_started": len(snapshot.courses),
        "courses_completed": sum(course.completed for course in snapshot.courses),
    }
    for course in sorted(snapshot.courses, key=lambda c: c.name):
        key = f"course_{_key(course.name)}"
        data[f"{key}_status"] = "Completed" if course.completed else "Started"
        data[f"{key}_sessions_started"] = LIST_SEPARATOR.join(course.sessions_started)
        data[f"{key}_sessions_completed"] = LIST_SEPARATOR.join(course.sessions_completed)
    return data


def crisp_profile(snapshot: CrmSnapshot) -> dict[str, Any]:
    """The whole Crisp people profile: `{email, person: {nickname}, segments, data}`."""
    data: dict[str, Any] = {
        "signup_language": snapshot.sign_up_language or "",
        "partners": LIST_SEPARATOR.join(partner_names(snapshot)),
        "feature_live_chat": may_chat(snapshot),
        "feature_therapy": any(access.therapy for access in snapshot.accesses),
        "therapy_sessions_remaining": sum(access.therapy_remaining for access in snapshot.accesses),
        "therapy_sessions_redeemed": sum(access.therapy_redeemed for access in snapshot.accesses),
        "marketing_permission": snapshot.contact_permission,
        "service_emails_permission": snapshot.service_emails_permission,
        **course_data(snapshot),
    }
    return {
        "email": snapshot.email,
        "person": {"nickname": snapshot.name},
        "segments": segments(snapshot),
        "data": data,
    }


def mailchimp_status(snapshot: CrmSnapshot) -> Literal["subscribed", "unsubscribed"]:
    """Subscribed only with consent (`contactPermission`)."""
    return "subscribed" if snapshot.contact_permission else "unsubscribed"


def mailchimp_member(snapshot: CrmSnapshot) -> dict[str, Any]:
    """The whole audience member (`PUT /lists/{id}/members/{hash}`); the merge fields must exist in the audience
    (docs/crm.md)."""
    status = mailchimp_status(snapshot)
    merge_fields: dict[str, str | int] = {
        "NAME": snapshot.name,
        "SIGNUPD": snapshot.created_at.date().isoformat() if snapshot.created_at else "",
        "LANGUAGE": snapshot.sign_up_language or "",
        "PARTNERS": LIST_SEPARATOR.join(partner_names(snapshot)),
        "FEATCHAT": str(may_chat(snapshot)).lower(),
        "FEATTHER": str(any(access.therapy for access in snapshot.accesses)).lower(),
        "THERREMAIN": sum(access.therapy_remaining for access in snapshot.accesses),
        "THERREDEEM": sum(access.therapy_redeemed for access in snapshot.accesses),
        "CSTARTED": len(snapshot.courses),
        "CCOMPLETED": sum(course.completed for course in snapshot.courses),
    }
    return {"email_address": snapshot.email, "status_if_new": status, "status": status, "merge_fields": merge_fields}


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 of the lower-cased address (an identifier, not a protection)."""
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def desired(provider: Provider, snapshot: CrmSnapshot, holds_profile: bool) -> dict[str, Any] | None:
    """What `provider` must hold for the user, or None when it must hold nothing we wrote: Crisp gets a profile
    for users who may chat, and keeps updating the one a user has after losing chat rights (their history
    stays; their segments and data change). Every user is a Mailchimp member (status from consent)."""
    if provider == "crisp":
        return crisp_profile(snapshot) if may_chat(snapshot) or holds_profile else None
    return mailchimp_member(snapshot)


# ---------------------------------------------------------------- what we wrote where


class CrmContactRecord(CamelModel):
    """`crmContacts/{userId}.{provider}`: one per provider, so the providers' subscribers never contend."""

    user_id: str
    provider: Provider
    emails: list[str] = Field(default_factory=list)  # addresses holding a profile we wrote (erasure works from it)
    fingerprint: str | None = None  # of the last profile written, for `crm resync` and to skip repeats
    synced_at: datetime | None = None


def contact_key(user_id: str, provider: Provider) -> str:
    return f"{user_id}.{provider}"


def permissions_withdrawn(kind: str) -> tuple[bool, bool] | None:
    """What a Mailchimp webhook delivery withdraws, as (marketing, service emails): `unsubscribe` withdraws
    marketing consent, `cleaned` (the address bounces) both; other types change nothing (None)."""
    if kind == "unsubscribe":
        return True, False
    if kind == "cleaned":
        return True, True
    return None
