"""Events the users area publishes."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class UserDeleted(BaseModel):
    """A user was erased; subscribers remove what they hold about them (CRM, Slack notice with the id only)."""

    user_id: str
    deleted_at: str


USER_DELETED = declare_topic("user.deleted", UserDeleted, "A user and everything keyed to them was erased")
