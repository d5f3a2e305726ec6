"""Events the live chat publishes (ids only: the text stays in Firestore)."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class MessageSent(BaseModel):
    """A user's chat message was stored; the Front relay sends it to the team's inbox."""

    user_id: str
    message_id: str
    sent_at: str  # ISO 8601, UTC


MESSAGE_SENT = declare_topic("livechat.message_sent", MessageSent, "A user sent a live chat message to the team")
