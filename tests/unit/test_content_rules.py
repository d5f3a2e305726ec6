"""Content rules without I/O: components, partner lists, completion, progress merging, the API objects."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bloom.content.models import (
    CourseRecord,
    CourseUserRecord,
    ResourceRecord,
    ResourceUserRecord,
    SessionProgress,
    SessionSummary,
    content_kind,
    course_completed,
    course_out,
    merge_progress,
    partners_from_content,
    resource_category,
    resource_out,
    same_content,
    with_session,
    without_session,
)
from bloom.content.schemas import StoryblokWebhook, StoryStatus
from bloom.core.errors import Unauthorized
from functions.webhooks import STORYBLOK_SIGNATURE
from tests.support.settings import SettingsEnv

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def summary(uuid: str, status: StoryStatus = "published") -> SessionSummary:
    return SessionSummary(
        id=f"id-{uuid}", storyblok_uuid=uuid, storyblok_id=1, name=uuid, slug=f"c/{uuid}", status=status
    )


def course(*sessions: SessionSummary) -> CourseRecord:
    return CourseRecord(
        id="course-id",
        storyblok_uuid="course-uuid",
        name="Course",
        slug="courses/c",
        status="published",
        sessions=list(sessions),
        created_at=T0,
        updated_at=T0,
    )


def entry(completed: bool, at: datetime = T0) -> SessionProgress:
    return SessionProgress(completed=completed, completed_at=at if completed else None, created_at=T0, updated_at=at)


def course_user(course_uuid: str, **sessions: SessionProgress) -> CourseUserRecord:
    return CourseUserRecord(user_id="u1", course_uuid=course_uuid, sessions=sessions, created_at=T0, updated_at=T0)


@pytest.mark.parametrize(
    ("component", "kind", "category"),
    [
        ("Course", "course", None),
        ("Session", "session", None),
        ("session_iba", "session", None),
        ("resource_short_video", "resource", "short_video"),
        ("resource_single_video", "resource", "single_video"),
        ("resource_conversation", "resource", "conversation"),
        ("page", None, None),
        ("course", None, None),
        ("", None, None),
    ],
)
def test_components_map_to_kinds_and_categories(component: str, kind: str | None, category: str | None) -> None:
    assert content_kind(component) == kind
    assert resource_category(component) == category


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ["Public"]),
        ([], ["Public"]),
        ("Bumble", ["Bumble"]),
        (["Public", "Bumble", "Bumble", " ", 3], ["Public", "Bumble"]),
        ([" Badoo "], ["Badoo"]),
        ({"not": "a list"}, ["Public"]),
    ],
)
def test_included_for_partners_defaults_to_public_only(value: object, expected: list[str]) -> None:
    assert partners_from_content(value) == expected


def test_a_course_is_complete_when_every_published_session_is() -> None:
    sessions = [summary("s1"), summary("s2"), summary("s3", "unpublished"), summary("s4", "deleted")]
    assert course_completed(sessions, {"s1", "s2"})
    assert not course_completed(sessions, {"s1", "s3", "s4"})
    assert course_completed(sessions, {"s1", "s2", "other"})


def test_a_course_without_published_sessions_is_never_complete() -> None:
    assert not course_completed([], set())
    assert not course_completed([summary("s1", "unpublished")], {"s1"})


def test_progress_merges_across_courses_with_the_latest_entry_winning() -> None:
    old = course_user("a", s1=entry(True, T0), s2=entry(False, T0))
    new = course_user("b", s1=entry(False, T0 + timedelta(minutes=1)))
    merged = merge_progress([old, new])
    assert merged["s1"].completed is False and merged["s2"].completed is False
    assert merge_progress([new, old])["s1"].completed is False


def test_course_out_lists_started_sessions_in_course_order_with_completion_now() -> None:
    record = course_user("course-uuid", s2=entry(True), s1=entry(True))
    progress = merge_progress([record])
    published = course(summary("s1"), summary("s2"), summary("s3"))
    out = course_out(published, record, progress)
    assert [s.storyblok_uuid for s in out.sessions] == ["s1", "s2"]
    assert out.completed is False and all(s.completed for s in out.sessions)
    unpublished_third = course(summary("s1"), summary("s2"), summary("s3", "unpublished"))
    assert course_out(unpublished_third, record, progress).completed is True
    wire = out.model_dump(mode="json", by_alias=True)
    assert set(wire) == {
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "slug",
        "status",
        "storyblokUuid",
        "completed",
        "sessions",
    }
    assert set(wire["sessions"][0]) == {
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "slug",
        "storyblokUuid",
        "status",
        "completed",
    }


def test_session_list_of_a_course_is_replaced_in_place_or_appended_and_removed() -> None:
    base = course(summary("s1"), summary("s2"))
    renamed = summary("s1").model_copy(update={"name": "renamed"})
    assert [s.name for s in with_session(base, renamed).sessions] == ["renamed", "s2"]
    assert [s.storyblok_uuid for s in with_session(base, summary("s3")).sessions] == ["s1", "s2", "s3"]
    assert [s.storyblok_uuid for s in without_session(base, "s1").sessions] == ["s2"]
    assert without_session(base, "absent") == base


def test_same_content_ignores_only_timestamps() -> None:
    base = course(summary("s1"))
    assert same_content(base, base.model_copy(update={"updated_at": T0 + timedelta(days=1)}))
    assert not same_content(base, base.model_copy(update={"status": "unpublished"}))
    assert not same_content(base, with_session(base, summary("s1", "unpublished")))


def test_resource_out_takes_the_users_record_when_there_is_one() -> None:
    resource = ResourceRecord(
        id="r-id",
        storyblok_uuid="r1",
        name="R",
        slug="r",
        status="published",
        category="short_video",
        created_at=T0,
        updated_at=T0,
    )
    later = T0 + timedelta(days=2)
    record = ResourceUserRecord(
        user_id="u1", resource_uuid="r1", completed=True, completed_at=later, created_at=later, updated_at=later
    )
    assert resource_out(resource).completed is False and resource_out(resource).created_at == T0
    out = resource_out(resource, record)
    assert out.completed is True and out.created_at == later
    assert set(out.model_dump(by_alias=True)) == {
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "slug",
        "status",
        "category",
        "storyblokUuid",
        "completed",
    }


def test_webhook_body_is_read_in_storyblok_snake_case() -> None:
    delivery = StoryblokWebhook.model_validate(
        {"action": "published", "story_id": 123, "full_slug": "courses/x", "text": "t", "space_id": 9}
    )
    assert (delivery.action, delivery.story_id, delivery.space_id) == ("published", 123, 9)
    with pytest.raises(ValidationError):
        StoryblokWebhook.model_validate({"action": "renamed", "story_id": 1})
    with pytest.raises(ValidationError):
        StoryblokWebhook.model_validate({"action": "published"})


def verify_storyblok(body: bytes, received: str | None) -> None:
    STORYBLOK_SIGNATURE.verify(body, {} if received is None else {"webhook-signature": received})


def test_signature_is_hex_hmac_sha1_of_the_raw_body(settings_env: SettingsEnv) -> None:
    body = b'{"action":"published","story_id":1}'
    expected = hmac.new(b"secret", body, hashlib.sha1).hexdigest()
    assert STORYBLOK_SIGNATURE.sign("secret", body) == expected
    settings_env.set("STORYBLOK_WEBHOOK_SECRET", "secret")
    verify_storyblok(body, expected)
    verify_storyblok(body, expected.upper())
    for received, message in [
        (None, "STORYBLOK_SIGNATURE_MISSING"),
        ("", "STORYBLOK_SIGNATURE_MISSING"),
        ("0" * 40, "STORYBLOK_SIGNATURE_MISMATCH"),
        ("é", "STORYBLOK_SIGNATURE_MISMATCH"),
    ]:
        with pytest.raises(Unauthorized) as raised:
            verify_storyblok(body, received)
        assert raised.value.message == message
    with pytest.raises(Unauthorized):
        verify_storyblok(body + b" ", expected)


def test_no_configured_secret_rejects_every_signature(settings_env: SettingsEnv) -> None:
    settings_env.unset("STORYBLOK_WEBHOOK_SECRET")
    body = b"{}"
    with pytest.raises(Unauthorized) as raised:
        verify_storyblok(body, STORYBLOK_SIGNATURE.sign("", body))
    assert raised.value.message == "STORYBLOK_SIGNATURE_MISMATCH"
