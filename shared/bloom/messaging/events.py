"""Events the messaging area publishes."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class MessageFlagged(BaseModel):
    """A message was flagged for the safety team (crisis language, a threat). Ids and fixed reasons only."""

    thread_id: str
    message_id: str
    reasons: list[str]
    flagged_at: str


MESSAGE_FLAGGED = declare_topic("message.flagged", MessageFlagged, "A message was flagged for the safety team")
