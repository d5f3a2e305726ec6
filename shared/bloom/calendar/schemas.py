"""What the calendar area shows callers: the address of their calendar feed."""

from __future__ import annotations

from bloom.core.models import CamelModel


class FeedUrl(CamelModel):
    url: str  # holds the feed's secret: whoever has it reads the owner's sessions (times and join links)
