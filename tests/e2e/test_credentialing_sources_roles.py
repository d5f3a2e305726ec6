"""The credentialing sources' and requirements' role matrix: each endpoint against every kind of caller, with real
ids. Callers and their world are `tests.support.role_matrix`'s, with one pending source seeded as the API stores one:
sources are the practice admins' (everyone else 403); requirements are a therapist's own or, for a practice admin,
any therapist's (another therapist asking for them: 404, as for an unknown therapist). Each endpoint gets a fresh
world; callers go in `ORDER` (the practice admin, who succeeds on sources, last)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bloom.core.time import utcnow
from bloom.credentialing.models import SourceRecord
from bloom.credentialing.repository import SourcesRepository
from infra.auth_emulator import AuthEmulator
from infra.manifest import load_everything
from infra.stack_runner import RunningStack
from tests.support.role_matrix import DENIED, STAFF_ONLY, PracticeWorld, Request, assert_matrix_row, practice_world


@dataclass(frozen=True)
class World:
    practice: PracticeWorld  # the callers of the practice's own matrix
    source: str  # a pending requirement source


def world(stack: RunningStack, auth: AuthEmulator) -> World:
    practice = practice_world(stack, auth)
    now = utcnow()
    source = SourceRecord(
        id=uuid.uuid4().hex,
        upload_id="upload-of-the-seeded-source",
        owner_id="practice-admin",
        payer="northwind",
        state="US-NY",
        title="northwind guide",
        status="pending",
        created_by="practice-admin",
        created_at=now,
        updated_at=now,
    )
    SourcesRepository().save(source.id, source)
    return World(practice, source.id)


ADMINS_ONLY = {**DENIED, **STAFF_ONLY, "other_dr": 403, "dr": 403}
CASES: dict[str, tuple[Callable[[World], Request], dict[str, int]]] = {
    "create_credentialing_source": (  # an upload that is not the admin's: refused, but allowed
        lambda w: (
            "POST",
            "credentialing/sources",
            {"uploadId": "no-such-upload", "payer": "northwind", "state": "US-NY", "title": "guide"},
        ),
        {**ADMINS_ONLY, "admin": 409},
    ),
    "list_credentialing_sources": (lambda w: ("GET", "credentialing/sources", None), {**ADMINS_ONLY, "admin": 200}),
    "reingest_credentialing_source": (
        lambda w: ("POST", f"credentialing/sources/{w.source}/ingest", None),
        {**ADMINS_ONLY, "admin": 201},
    ),
    "delete_credentialing_source": (
        lambda w: ("DELETE", f"credentialing/sources/{w.source}", None),
        {**ADMINS_ONLY, "admin": 200},
    ),
    "get_credentialing_requirements": (
        lambda w: (
            "GET",
            f"credentialing/requirements?payer=northwind&state=US-NY&therapistId={w.practice.dr_profile}",
            None,
        ),
        {**DENIED, **STAFF_ONLY, "other_dr": 404, "dr": 200, "admin": 200},
    ),
}


def test_every_source_and_requirements_endpoint_is_in_the_matrix() -> None:
    names = {spec.name for spec in load_everything().values() if spec.module == "functions.credentialing_sources"}
    assert names == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(name: str, stack: RunningStack, auth: AuthEmulator) -> None:
    w = world(stack, auth)
    build, expected = CASES[name]
    assert_matrix_row(stack, w.practice.callers, expected, build(w))
