"""The live chat's documents: `livechatUsers/{userId}` (the chat: read receipts, unread-reply windows) and its
`messages/{id}` (every message of the user and the team). Server only (the default deny of `firestore.rules`):
the frontend receives them over Socket.IO, never from Firestore."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bloom.livechat.models import ChatRecord
from bloom.livechat.schemas import ChatAttachment, ChatMessage
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.repository import Filter, Repository, is_valid_doc_id
from bloom.platform.store.request_checks import settle_checks
from bloom.platform.store.unit_of_work import UnitOfWork, repository

if TYPE_CHECKING:
    from google.cloud.firestore import CollectionReference, DocumentReference

CHATS = "livechatUsers"
MESSAGES = "messages"
ERASURE_PAGE = 300


class ChatsRepository(Repository[ChatRecord]):
    collection_name = CHATS
    model = ChatRecord

    def unread_since_before(self, moment: datetime, limit: int) -> list[ChatRecord]:
        """Chats with a reply unread since before `moment`, the oldest first (one single-field range query)."""
        rows = self.select([Filter("unreadSince", "<=", moment)], order_by=[("unreadSince", "ASCENDING")], limit=limit)
        return [chat for _, chat in rows]


class ChatMessagesRepository(Repository[ChatMessage]):
    """`livechatUsers/{userId}/messages/{id}`: every method names the user."""

    collection_name = MESSAGES
    model = ChatMessage

    def of(self, user_id: str) -> CollectionReference:
        collection: CollectionReference = db().collection(CHATS).document(user_id).collection(MESSAGES)
        return collection

    def message_ref(self, user_id: str, message_id: str) -> DocumentReference:
        return self.of(user_id).document(message_id)

    def get_in(self, user_id: str, message_id: str) -> ChatMessage | None:
        if not (is_valid_doc_id(user_id) and is_valid_doc_id(message_id)):
            return None
        count_round_trip()
        return self.from_snapshot(self.message_ref(user_id, message_id).get(transaction=self.session.transaction))

    def create_in(self, message: ChatMessage) -> None:
        self.session.create(self.message_ref(message.user_id, message.id), self.to_doc(message))

    def newest(self, user_id: str, limit: int) -> list[ChatMessage]:
        """The user's newest messages, oldest first."""
        from google.cloud.firestore import Query

        query = self.of(user_id).order_by("at", direction=Query.DESCENDING).limit(limit)
        count_round_trip()
        found = [ChatMessage.model_validate(snapshot.to_dict()) for snapshot in query.stream()]
        return found[::-1]

    def follow_after(
        self, user_id: str, since: datetime, on_added: Callable[[ChatMessage], None]
    ) -> Callable[[], None]:
        """A realtime listener on the user's messages stored after `since`: `on_added` runs (on the listener's
        thread) for each new one, whichever process wrote it. Returns the function that stops listening."""
        from google.cloud.firestore import FieldFilter

        def on_snapshot(_: Any, changes: list[Any], __: Any) -> None:
            for change in changes:
                if change.type.name == "ADDED":
                    on_added(ChatMessage.model_validate(change.document.to_dict()))

        watch = self.of(user_id).where(filter=FieldFilter("storedAt", ">", since)).on_snapshot(on_snapshot)
        stop: Callable[[], None] = watch.unsubscribe
        return stop

    def erase_of(self, user_id: str) -> list[ChatAttachment]:
        """Delete every message of the user, in committed batches (erasure; idempotent); the attachments they had."""
        attachments: list[ChatAttachment] = []
        while True:
            count_round_trip()
            snapshots = list(self.of(user_id).limit(ERASURE_PAGE).stream())
            if not snapshots:
                return attachments
            batch = db().batch()
            for snapshot in snapshots:
                attachments.extend(ChatMessage.model_validate(snapshot.to_dict()).attachments)
                batch.delete(snapshot.reference)
            settle_checks()
            count_round_trip()
            batch.commit()


class LivechatWork(UnitOfWork):
    chats = repository(ChatsRepository)
    messages = repository(ChatMessagesRepository)


# --- front (front)


def record_relay_attempt(uow: LivechatWork, user_id: str, message_id: str, at: datetime) -> ChatMessage | None:
    """Note that a post to Front is about to be made (the first attempt's time is kept); the message as it was
    before, or None when there is nothing to post (gone, or already relayed)."""
    message = uow.messages.get_in(user_id, message_id)
    if message is None or message.front_message_id is not None:
        return None
    if message.front_relay_started_at is None:
        uow.messages.session.update(uow.messages.message_ref(user_id, message_id), {"frontRelayStartedAt": at})
    return message


def record_relayed(uow: LivechatWork, user_id: str, message_id: str, front_message_id: str) -> bool:
    """Note Front's id on a user's message once it is in the inbox; False when it was already relayed (or gone)."""
    message = uow.messages.get_in(user_id, message_id)
    if message is None or message.front_message_id is not None:
        return False
    ref = uow.messages.message_ref(user_id, message_id)
    uow.messages.session.update(ref, {"frontMessageId": front_message_id})
    return True
