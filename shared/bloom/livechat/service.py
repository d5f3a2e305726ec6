"""The live chat's use cases: who may chat, history, a user's message (moderated, stored, announced to the Front
relay through the outbox), a team reply (idempotent per Front message), read receipts, the unread-reply windows,
the realtime relay of team replies to a socket, erasure."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bloom.core.time import utcnow
from bloom.livechat.errors import MESSAGE_REFUSED
from bloom.livechat.events import MESSAGE_SENT, MessageSent
from bloom.livechat.models import (
    FIRST_EMAIL_AFTER,
    HISTORY_LIMIT,
    ChatRecord,
    agent_message_id,
    email_due,
    new_chat,
    sends_allowed,
    unread,
    with_read,
    with_reply,
)
from bloom.livechat.repository import LivechatWork
from bloom.livechat.schemas import ChatAttachment, ChatMessage, ChatModeration, UnreadReplies
from bloom.messaging import moderation
from bloom.partners import views as partner_views
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork

if TYPE_CHECKING:
    from bloom.users.schemas import Caller

DUE_PAGE = 200  # chats the unread-reply job reads per run


def chat_allowed(caller: Caller) -> bool:
    """The live-chat rule: no active partner access, or at least one with live chat (one batched read)."""
    uow = UnitOfWork()
    fetched = uow.fetch(partner_views.profile_refs(uow, caller.user, admin=False))
    view = partner_views.partner_views(
        uow, caller.user, fetched, partner_views.AccessFilter(active=True), active_admin_only=True
    )
    return not view.accesses or any(access.feature_live_chat for access in view.accesses)


def send_allowed(recent: list[float], now: float) -> tuple[bool, list[float]]:
    """A socket's send rate (the original gateway's: 20 per 10 seconds, sliding): (allowed, send times to keep)."""
    return sends_allowed(recent, now)


def messages_of(user_id: str, limit: int = HISTORY_LIMIT) -> list[ChatMessage]:
    """The user's newest messages (the team's and their own), oldest first."""
    return LivechatWork().messages.newest(user_id, limit)


def send_user_message(
    user_id: str, text: str, attachments: list[ChatAttachment] | None = None, *, at: datetime | None = None
) -> ChatMessage:
    """Store a user's message as they wrote it (the team must read what was said; moderation's verdict goes with
    it, and crisis language flags it), and announce it to the Front relay. A message moderation blocks (hate
    speech, by the model pass) is refused with the original backend's error."""
    verdict = moderation.moderate(text)[0] if text else None  # an attachment may come without text
    if verdict is not None and verdict.state == "blocked":
        raise MESSAGE_REFUSED.error()
    now = at or utcnow()
    message = ChatMessage(
        id=str(uuid.uuid4()),
        user_id=user_id,
        role="user",
        text=text,
        attachments=attachments or [],
        at=now,
        stored_at=now,
        moderation=None if verdict is None else ChatModeration(state=verdict.state, reasons=list(verdict.reasons)),
    )

    def work(uow: LivechatWork) -> None:
        chat = uow.chats.get(user_id) or new_chat(user_id, now)
        uow.chats.save(user_id, chat.model_copy(update={"last_message_at": max(chat.last_message_at, now)}))
        uow.messages.create_in(message)
        uow.emit(MESSAGE_SENT, MessageSent(user_id=user_id, message_id=message.id, sent_at=now.isoformat()))

    LivechatWork.run_in_transaction(work)
    return message


def record_agent_reply(
    user_id: str,
    *,
    front_message_id: str,
    text: str,
    attachments: list[ChatAttachment],
    at: datetime,
    author_name: str | None = None,
) -> ChatMessage:
    """Store a team reply written in Front (the webhook): once per Front message, whatever the redeliveries.
    Every socket of the user, on any instance, receives it through `follow_agent_replies`."""
    message = ChatMessage(
        id=agent_message_id(front_message_id),
        user_id=user_id,
        role="agent",
        text=text,
        attachments=attachments,
        at=at,
        stored_at=utcnow(),
        author_name=author_name,
        front_message_id=front_message_id,
    )

    def work(uow: LivechatWork) -> ChatMessage:
        stored = uow.messages.get_in(user_id, message.id)
        if stored is not None:
            return stored
        chat = uow.chats.get(user_id) or new_chat(user_id, at)
        uow.chats.save(user_id, with_reply(chat, at))
        uow.messages.create_in(message)
        return message

    try:
        return LivechatWork.run_in_transaction(work)
    except DuplicateDocument:  # a concurrent delivery of the same Front message won
        stored = LivechatWork().messages.get_in(user_id, message.id)
        assert stored is not None
        return stored


def mark_read(user_id: str, at: datetime) -> None:
    """The user read the chat up to `at` (`PATCH front-chat/read`): unread replies and their email windows end."""

    def work(uow: LivechatWork) -> None:
        chat = uow.chats.get(user_id)
        if chat is not None:
            uow.chats.save(user_id, with_read(chat, at))

    LivechatWork.run_in_transaction(work)


def unread_replies_due(now: datetime) -> list[UnreadReplies]:
    """Chats whose unread reply is due an email at `now` (first after 5 minutes, then every 2 hours, 3 at most)."""
    chats = LivechatWork().chats.unread_since_before(now - FIRST_EMAIL_AFTER, DUE_PAGE)
    return [unread(chat) for chat in chats if email_due(chat, now)]


def record_unread_email(user_id: str, at: datetime) -> bool:
    """Count an unread-reply email sent at `at`; False (nothing recorded) when none is due any more (read since,
    or another run sent it): the job sends only when this returns True."""

    def work(uow: LivechatWork) -> bool:
        chat: ChatRecord | None = uow.chats.get(user_id)
        if chat is None or not email_due(chat, at):
            return False
        uow.chats.save(user_id, chat.model_copy(update={"emails_sent": chat.emails_sent + 1, "last_email_at": at}))
        return True

    return LivechatWork.run_in_transaction(work)


def follow_agent_replies(user_id: str, since: datetime, on_reply: Callable[[ChatMessage], None]) -> Callable[[], None]:
    """Listen to the user's chat: `on_reply` runs for every team reply stored after `since` (on the listener's
    thread), whichever process stored it. Returns the function that stops listening."""

    def on_added(message: ChatMessage) -> None:
        if message.role == "agent":
            on_reply(message)

    return LivechatWork().messages.follow_after(user_id, since, on_added)


def erase(user_id: str) -> list[ChatAttachment]:
    """Delete the user's chat and messages; returns their attachments (the caller deletes the objects first)."""
    attachments = LivechatWork().messages.erase_of(user_id)
    with LivechatWork() as uow:
        uow.chats.delete(user_id)
    return attachments
