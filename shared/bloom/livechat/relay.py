"""The Front relay: a user's stored message goes to the team's inbox, once however often its event is delivered.

Front's "Receive custom messages" has no idempotency key, so the relay keeps its own record on the message:
`frontRelayStartedAt` before the post, Front's message uid (`frontMessageId`) after it. A redelivered
`livechat.message_sent` that finds the uid posts nothing. One that finds only the start (the earlier delivery died,
or timed out, between the post and the write: Front may have the message without our knowing) first looks for the
message in the user's Front conversation by its `metadata.headers.bloom_message_id`: found, its id is written and
nothing is posted; not found (or Front will not say), it is posted again. A survivor's message is never dropped
for fear of a duplicate; a duplicate is left only when Front had not yet listed the first post (it takes messages
asynchronously) or the read was refused."""

from __future__ import annotations

from datetime import datetime

from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.livechat import attachments, front, service
from bloom.livechat.front import FrontAttachment, FrontChannelAnswer, FrontChannelRequest
from bloom.livechat.repository import LivechatWork, record_relay_attempt, record_relayed
from bloom.livechat.schemas import ChatAttachment

_log = get_logger(__name__)


def relay_to_front(user_id: str, message_id: str) -> bool:
    """Post the message to the user's Front conversation; False when there is nothing to do (already relayed,
    or the chat was erased meanwhile)."""
    message = LivechatWork.run_in_transaction(lambda uow: record_relay_attempt(uow, user_id, message_id, utcnow()))
    if message is None:
        return False
    front_message_id = None
    if message.front_relay_started_at is not None:  # an earlier attempt may have reached Front: look before posting
        front_message_id = front.find_incoming(user_id, message.id)
        _log.warning("front relay retried after an unanswered post", extra={"found": front_message_id is not None})
    if front_message_id is None:
        files = [attachments.outgoing_file(a) for a in message.attachments if a.object_name]
        front_message_id = front.post_incoming(user_id, message.id, message.text, files)
    uid = front_message_id
    return LivechatWork.run_in_transaction(lambda uow: record_relayed(uow, user_id, message_id, uid))


def apply_front_request(request: FrontChannelRequest, received_at: datetime, webhook_route: str) -> FrontChannelAnswer:
    """What Front's channel asks (its webhook, verified): `authorization` is answered with this webhook's public
    URL (its `webhook_route` on the API origin: where Front sends the channel's later requests); a teammate's reply
    becomes the user's `agent_reply` (once per Front message: `record_agent_reply` is idempotent), threaded back to
    the user's conversation."""
    if request.type == "authorization":
        return FrontChannelAnswer(webhook_url=get_settings().public_url(webhook_route))
    if request.type != "message" or request.payload is None:
        return FrontChannelAnswer()
    message = request.payload
    user_id = request.reply_user()
    text = (message.text if message.text is not None else message.body or "").strip()
    if user_id is None or not message.id:
        _log.warning("front reply without a Bloom user: not delivered", extra={"front_type": request.type})
        return FrontChannelAnswer(external_id=message.id or None)
    files = [file for file in map(_reply_file, message.attachments) if file is not None]
    if not text and not files:
        return FrontChannelAnswer(external_id=message.id)
    text = text or attachments.display_text(files[0])  # the frontend drops a reply whose body is not a string
    author = message.author.first_name if message.author else None
    stored = service.record_agent_reply(
        user_id, front_message_id=message.id, text=text, attachments=files, at=received_at, author_name=author
    )
    return FrontChannelAnswer(external_id=stored.id, external_conversation_id=front.handle_of(user_id))


def erase_chat(user_id: str) -> int:
    """Erase a deleted user's chat: its documents, then the files its messages had (idempotent). Returns how many
    files went. (The Front contact is erased by its own subscriber: a Front outage must not hold this up.)"""
    files = service.erase(user_id)
    attachments.delete_files(files)
    return len(files)


def _reply_file(attachment: FrontAttachment) -> ChatAttachment | None:
    """A teammate's file, brought into the private bucket (Front's links need the token and expire)."""
    data = front.download(attachment.url, attachments.MAX_ATTACHMENT_BYTES)
    if data is None:
        return None
    return attachments.store_file(attachment.filename or "attachment", attachment.content_type or "", data)
