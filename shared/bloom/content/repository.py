"""Courses, sessions and resources copied from Storyblok, keyed by the story uuid (the document id).

Lookups by the numeric story id (unpublish/delete deliveries) and by the public id (feedback, `GET resource/:id`)
are single-field equality queries, which Firestore's automatic indexes serve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from bloom.content.models import CourseRecord, ResourceRecord, SessionRecord
from bloom.platform.store.repository import Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction
from typing import Any

from bloom.content.models import CourseUserRecord, ResourceUserRecord, SessionUserRecord
from bloom.platform.store.client import count_round_trip, db
from bloom.users.repository import UsersRepository

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


DELETE_BATCH = 300


class CourseUsersRepository(Repository[CourseUserRecord]):
    collection_name = "courseUsers"
    model = CourseUserRecord


class SessionUsersRepository(Repository[SessionUserRecord]):
    collection_name = "sessionUsers"
    model = SessionUserRecord


class ResourceUsersRepository(Repository[ResourceUserRecord]):
    collection_name = "resourceUsers"
    model = ResourceUserRecord


def _add_to_user_list(unit: UnitOfWork, auth_uid: str, field: str, value: str) -> None:
    from google.cloud.firestore import ArrayUnion

    unit.update(UsersRepository().ref(auth_uid), {field: ArrayUnion([value])})


def link_course(unit: UnitOfWork, auth_uid: str, course_uuid: str) -> None:
    """Add a started course to `users/{authUid}.courseIds` in the same transaction (idempotent)."""
    _add_to_user_list(unit, auth_uid, "courseIds", course_uuid)


def link_resource(unit: UnitOfWork, auth_uid: str, resource_uuid: str) -> None:
    _add_to_user_list(unit, auth_uid, "resourceIds", resource_uuid)


def delete_where_user(repository: Repository[Any], user_id: str) -> int:
    """Delete every document of the collection whose `userId` is `user_id`, in bounded batches. Idempotent."""
    deleted = 0
    while True:
        rows = repository.select([Filter("userId", "==", user_id)], limit=DELETE_BATCH)
        if not rows:
            return deleted
        batch = db().batch()
        for doc_id, _ in rows:
            batch.delete(repository.ref(doc_id))
        count_round_trip()
        batch.commit()
        deleted += len(rows)
