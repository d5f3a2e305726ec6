"""What the practice area shows callers and other areas: therapist profiles and cards, assignments,
connections, `GET practice/me`, and the auth-audit actions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StrictBool

from bloom.core.models import CamelModel, RequestModel
from bloom.platform.cursors import Cursor
from bloom.users.schemas import Email, Name

AssignmentStatus = Literal["requested", "active", "declined", "ended"]
PracticeRole = Literal["patient", "therapist", "practice_admin"]
PAGE_MAX = 100
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_REGION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


def _language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise ValueError("must be an ISO 639-1 code such as en")
    return value


def _region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise ValueError("must be an ISO 3166-2 code such as US-CA")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Europe/London") from None
    return value


def _specialty(value: str) -> str:
    value = value.strip().lower()
    if not value:
        raise ValueError("must not be blank")
    return value


Language = Annotated[str, AfterValidator(_language)]
Region = Annotated[str, AfterValidator(_region)]
Timezone = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
Specialty = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_specialty)]


class TherapistCard(CamelModel):
    """What patients see of a therapist: no user id, no contact details."""

    id: str
    display_name: str
    bio: str
    specialties: list[str]
    languages: list[str]
    licensed_in: list[str]
    timezone: str
    accepting_patients: bool


class TherapistProfile(TherapistCard):
    user_id: str
    created_at: datetime
    updated_at: datetime


class CreateTherapist(RequestModel):
    email: Email
    name: Name


class UpdateTherapist(RequestModel):
    """Any of these; a field that is absent (or null) is left as it is."""

    display_name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    bio: Annotated[str, Field(max_length=2000)] | None = None
    specialties: Annotated[list[Specialty], Field(max_length=20)] | None = None
    languages: Annotated[list[Language], Field(max_length=20)] | None = None
    licensed_in: Annotated[list[Region], Field(max_length=60)] | None = None
    timezone: Timezone | None = None
    accepting_patients: StrictBool | None = None


class TherapistQuery(RequestModel):
    language: Language | None = None
    specialty: Specialty | None = None
    licensed_in: Region | None = None
    accepting_patients: bool | None = None
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 20


class TherapistPage(CamelModel):
    items: list[TherapistCard]
    next_cursor: str | None


class CreateAssignment(RequestModel):
    """A patient asks a therapist (`therapistId`); a practice admin assigns directly (with `patientId`)."""

    therapist_id: Annotated[str, Field(min_length=1, max_length=128)]
    patient_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class Assignment(CamelModel):
    id: str
    therapist_id: str
    patient_id: str
    status: AssignmentStatus
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None


class PatientCard(CamelModel):
    id: str
    name: str


class Connection(CamelModel):
    """One assignment seen from either side: the therapist's card (for a patient) or the patient (for a therapist)."""

    assignment: Assignment
    therapist: TherapistCard | None = None
    patient: PatientCard | None = None


class PracticeMe(CamelModel):
    roles: list[PracticeRole]
    therapist_profile: TherapistProfile | None
    active_assignments: list[Assignment]


class CareParties(CamelModel):
    """What messaging needs of an assignment to open or guard its care thread (ids only)."""

    assignment_id: str
    status: AssignmentStatus
    therapist_user_id: str
    therapist_uid: str
    patient_id: str
    patient_uid: str
