"""Progress use cases whose rules hold before any I/O: run on units without a store, so no emulator is needed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bloom.content import progress
from bloom.content.repository import ContentWork
from bloom.content.schemas import StoryblokUuidBody
from bloom.core.errors import NotFound
from bloom.platform.store.unit_of_work import StoreUnreachable, without_store
from bloom.users.schemas import UserRecord

USER = UserRecord.model_validate({"id": "user-1", "email": "learner@example.com"})
STORELESS = without_store(ContentWork)


@pytest.mark.parametrize("change", ["start", "complete", "incomplete"])
def test_a_story_id_the_store_cannot_hold_is_not_found_without_a_read(change: progress.Change) -> None:
    with pytest.raises(NotFound, match="SESSION NOT FOUND"):
        progress.change_session(USER, "auth-1", "../users/x", change, units=STORELESS)
    with pytest.raises(NotFound, match="RESOURCE NOT FOUND"):
        progress.change_resource(USER, "auth-1", "../users/x", change, units=STORELESS)


def test_a_storeless_unit_refuses_a_read_that_would_reach_the_store() -> None:
    """What makes the test above able to fail: a use case that reads first gets `StoreUnreachable`, not an answer."""
    with pytest.raises(StoreUnreachable), STORELESS() as uow:
        uow.fetch([(uow.sessions, "5e000000-0000-4000-8000-000000000001")])


@pytest.mark.parametrize(("body", "problem"), [({}, "storyblokUuid"), ({"storyblokUuid": "../users/x"}, "pattern")])
def test_a_body_without_a_story_key_is_refused(body: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        StoryblokUuidBody.model_validate(body)
