"""The calendar area's documents: `calendarFeeds/{tokenHash}` (whose feed a token opens) and
`calendarFeedOwners/{userId}` (the hash of each user's current token). Server only; the token itself is stored
nowhere."""

from __future__ import annotations

from bloom.calendar.models import FeedOwner, FeedRecord
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository


class FeedsRepository(Repository[FeedRecord]):
    collection_name = "calendarFeeds"
    model = FeedRecord


class FeedOwnersRepository(Repository[FeedOwner]):
    collection_name = "calendarFeedOwners"
    model = FeedOwner


class CalendarWork(UnitOfWork):
    feeds = repository(FeedsRepository)
    owners = repository(FeedOwnersRepository)
