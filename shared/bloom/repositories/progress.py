"""A user's progress: `courseUsers`, `sessionUsers` and `resourceUsers`, one document per user and item, with
ids `{userId}_{storyUuid}`; and the started-content id lists on `users/{authUid}` that the profile reads."""

from __future__ import annotations

from typing import Any

from bloom.models.content import CourseUserRecord, ResourceUserRecord, SessionUserRecord
from bloom.repositories.users import UsersRepository
from bloom.store.client import count_round_trip, db
from bloom.store.repository import Filter, Repository
from bloom.store.transaction import UnitOfWork

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
