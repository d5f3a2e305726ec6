"""Courses, sessions and resources copied from Storyblok, keyed by the story uuid (the document id).

Lookups by the numeric story id (unpublish/delete deliveries) and by the public id (feedback, `GET resource/:id`)
are single-field equality queries, which Firestore's automatic indexes serve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from bloom.models.content import CourseRecord, ResourceRecord, SessionRecord
from bloom.store.repository import Filter, Repository
from bloom.store.transaction import UnitOfWork

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction

ModelT = TypeVar("ModelT", bound=BaseModel)


class CoursesRepository(Repository[CourseRecord]):
    collection_name = "courses"
    model = CourseRecord


class SessionsRepository(Repository[SessionRecord]):
    collection_name = "courseSessions"
    model = SessionRecord


class ResourcesRepository(Repository[ResourceRecord]):
    collection_name = "resources"
    model = ResourceRecord


def find_by_story_id(
    repository: Repository[ModelT], story_id: int, transaction: Transaction | None = None
) -> tuple[str, ModelT] | None:
    rows = repository.select([Filter("storyblokId", "==", story_id)], limit=1, transaction=transaction)
    return rows[0] if rows else None


def find_by_public_id(repository: Repository[ModelT], public_id: str) -> ModelT | None:
    rows = repository.select([Filter("id", "==", public_id)], limit=1)
    return rows[0][1] if rows else None


def write(unit: UnitOfWork, repository: Repository[ModelT], key: str, item: ModelT, *, new: bool) -> None:
    """Create a new document (fails if one appeared meanwhile) or replace an existing one, in the transaction."""
    if new:
        unit.create(repository.ref(key), repository.to_doc(item))
    else:
        unit.set(repository.ref(key), repository.to_doc(item))
