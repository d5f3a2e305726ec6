"""The practice's stored records and the rules that need no I/O: the assignment state machine, discovery
facets and cursors, the practice roles of a user."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from bloom.core.models import CamelModel
from bloom.practice.schemas import (
    Assignment,
    AssignmentStatus,
    PracticeRole,
    TherapistCard,
    TherapistProfile,
)

FACETS = "facets"


class TherapistRecord(CamelModel):
    id: str
    user_id: str
    auth_uid: str
    display_name: str
    bio: str = ""
    specialties: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    licensed_in: list[str] = Field(default_factory=list)
    timezone: str = "Europe/London"
    accepting_patients: bool = False
    created_at: datetime
    updated_at: datetime

    def card(self) -> TherapistCard:
        return TherapistCard.model_validate(self.model_dump(include=set(TherapistCard.model_fields)))

    def profile(self) -> TherapistProfile:
        return TherapistProfile.model_validate(self.model_dump(include=set(TherapistProfile.model_fields)))


class AssignmentRecord(CamelModel):
    id: str
    therapist_id: str
    therapist_user_id: str
    therapist_uid: str
    patient_id: str
    patient_uid: str
    status: AssignmentStatus
    requested_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None

    def out(self) -> Assignment:
        return Assignment.model_validate(self.model_dump(include=set(Assignment.model_fields)))


class PairLock(CamelModel):
    """`assignmentPairs/{therapistId}_{patientId}`: exists while the pair has a requested or active assignment."""

    assignment_id: str


# ---------------------------------------------------------------- the assignment state machine

Transition = Literal["accept", "decline", "end"]
_TRANSITIONS: dict[tuple[AssignmentStatus, Transition], AssignmentStatus] = {
    ("requested", "accept"): "active",
    ("requested", "decline"): "declined",
    ("active", "end"): "ended",
}
OPEN_STATUSES: frozenset[AssignmentStatus] = frozenset({"requested", "active"})


def next_status(current: AssignmentStatus, transition: Transition) -> AssignmentStatus | None:
    """The status after `transition`, or None when the transition is not allowed from `current`."""
    return _TRANSITIONS.get((current, transition))


def transition_fields(record: AssignmentRecord, transition: Transition, actor_id: str, now: datetime) -> dict[str, Any]:
    """The fields a transition changes (the model's names; its validity checked by `next_status`)."""
    status = next_status(record.status, transition)
    if status is None:
        raise ValueError(f"{transition} is not allowed from {record.status}")
    fields: dict[str, Any] = {"status": status}
    if status == "active":
        fields["started_at"] = now
    if status in ("ended", "declined"):
        fields["ended_at"] = now
        fields["ended_by"] = actor_id
    return fields


def pair_key(therapist_id: str, patient_id: str) -> str:
    return f"{therapist_id}_{patient_id}"


# ---------------------------------------------------------------- discovery


def _facet_key(kind: str, value: str) -> str:
    return kind + value.encode().hex()


def facets(record: TherapistRecord) -> dict[str, bool]:
    """The stored map discovery filters on: one key per language, specialty and region (equality filters only,
    answered by Firestore's single-field indexes, so any combination needs no composite index)."""
    keys = [_facet_key("l", v) for v in record.languages]
    keys += [_facet_key("s", v) for v in record.specialties]
    keys += [_facet_key("r", v) for v in record.licensed_in]
    return dict.fromkeys(keys, True)


def facet_filters(
    language: str | None, specialty: str | None, licensed_in: str | None, accepting: bool | None
) -> list[tuple[str, Any]]:
    """(stored field, value) equalities for a discovery query."""
    wanted: list[tuple[str, Any]] = []
    for kind, value in (("l", language), ("s", specialty), ("r", licensed_in)):
        if value is not None:
            wanted.append((f"{FACETS}.{_facet_key(kind, value)}", True))
    if accepting is not None:
        wanted.append(("acceptingPatients", accepting))
    return wanted


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The id a cursor continues after, or None when it is not one of ours."""
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded or None


# ---------------------------------------------------------------- roles


def practice_roles(*, therapist: bool, practice_admin: bool, has_patient_side: bool) -> list[PracticeRole]:
    roles: list[PracticeRole] = []
    if has_patient_side or not (therapist or practice_admin):
        roles.append("patient")
    if therapist:
        roles.append("therapist")
    if practice_admin:
        roles.append("practice_admin")
    return roles
