"""Events the users area publishes."""

from __future__ import annotations

from pydantic import BaseModel

from bloom.platform.topics import declare_topic


class UserDeleted(BaseModel):
    """A user was erased; subscribers remove what they hold about them (CRM, Slack notice with the id only)."""

    user_id: str
    deleted_at: str
    # The Firebase uid the user's client-written documents (presence, typing markers) are keyed by.
    auth_uid: str | None = None


USER_DELETED = declare_topic("user.deleted", UserDeleted, "A user and everything keyed to them was erased")


class UserCreated(BaseModel):
    """A user record was created (signup, a partner admin's account). Ids only: no email or name."""

    user_id: str
    partner_ids: list[str]
    sign_up_language: str | None
    created_at: str


class UserUpdated(BaseModel):
    """Profile or consent fields of a user changed; `changed` names them (camelCase), never their values."""

    user_id: str
    changed: list[str]
    updated_at: str


USER_CREATED = declare_topic("user.created", UserCreated, "A user record was created")
USER_UPDATED = declare_topic("user.updated", UserUpdated, "Profile or consent fields of a user changed")
