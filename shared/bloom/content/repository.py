"""Courses, sessions and resources copied from Storyblok, keyed by the story uuid (the document id), and each
user's progress through them (`courseUsers`, `sessionUsers`, `resourceUsers`, keyed `{userId}_{storyUuid}`).

Lookups by the numeric story id (unpublish/delete deliveries) and by the public id (feedback, `GET resource/:id`)
are single-field equality queries, which Firestore's automatic indexes serve. `catalogues/content` keeps a copy
of every course and resource (see `ContentCatalogue`), written with them by `ContentWork.save_course/_resource`.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from bloom.content.models import (
    ContentCatalogue,
    CourseRecord,
    CourseUserRecord,
    ResourceRecord,
    ResourceUserRecord,
    SessionRecord,
    SessionUserRecord,
    StoryCopy,
)
from bloom.platform.store.indexes import unindexed_field
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository

StoryT = TypeVar("StoryT", bound=StoryCopy)


class StoriesRepository(Repository[StoryT], Generic[StoryT]):
    """Copies of one kind of Storyblok story."""

    def by_story_id(self, story_id: int) -> tuple[str, StoryT] | None:
        return self.find_one("storyblokId", story_id)

    def by_public_id(self, public_id: str) -> StoryT | None:
        found = self.find_one("id", public_id)
        return found[1] if found else None


class CoursesRepository(StoriesRepository[CourseRecord]):
    collection_name = "courses"
    model = CourseRecord


class SessionsRepository(StoriesRepository[SessionRecord]):
    collection_name = "courseSessions"
    model = SessionRecord


class ResourcesRepository(StoriesRepository[ResourceRecord]):
    collection_name = "resources"
    model = ResourceRecord


class CourseUsersRepository(Repository[CourseUserRecord]):
    collection_name = "courseUsers"
    model = CourseUserRecord


class SessionUsersRepository(Repository[SessionUserRecord]):
    collection_name = "sessionUsers"
    model = SessionUserRecord


class ResourceUsersRepository(Repository[ResourceUserRecord]):
    collection_name = "resourceUsers"
    model = ResourceUserRecord


class ContentCatalogueRepository(Repository[ContentCatalogue]):
    collection_name = "catalogues"
    model = ContentCatalogue


CATALOGUE_ID = "content"
unindexed_field(ContentCatalogueRepository.collection_name, "courses")
unindexed_field(ContentCatalogueRepository.collection_name, "resources")


class ContentWork(UnitOfWork):
    courses = repository(CoursesRepository)
    sessions = repository(SessionsRepository)
    resources = repository(ResourcesRepository)
    course_users = repository(CourseUsersRepository)
    session_users = repository(SessionUsersRepository)
    resource_users = repository(ResourceUsersRepository)
    catalogue = repository(ContentCatalogueRepository)

    def save_course(self, course_uuid: str, course: CourseRecord, *, new: bool = False) -> None:
        """Write a course and its catalogue entry (the only way courses are written)."""
        self.courses.save(course_uuid, course, new=new)
        self.catalogue.put_entry(CATALOGUE_ID, "courses", course_uuid, self.courses.to_doc(course))

    def save_resource(self, resource_uuid: str, resource: ResourceRecord, *, new: bool = False) -> None:
        """Write a resource and its catalogue entry (the only way resources are written)."""
        self.resources.save(resource_uuid, resource, new=new)
        self.catalogue.put_entry(CATALOGUE_ID, "resources", resource_uuid, self.resources.to_doc(resource))
