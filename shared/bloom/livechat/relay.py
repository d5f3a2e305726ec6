"""The Front relay: a user's stored message goes to the team's inbox once, however often its event is delivered.

Front's message uid is written on the message after Front took it; a redelivered `livechat.message_sent` finds it
and posts nothing. (A delivery that dies between Front's answer and that write is redelivered and posted again:
the window is one request; Front then shows the message twice, never loses it.)"""

from __future__ import annotations

from datetime import datetime

from bloom.core.logging import get_logger
from bloom.livechat import attachments, front, service
from bloom.livechat.front import FrontAttachment, FrontChannelAnswer, FrontChannelRequest
from bloom.livechat.repository import LivechatWork, record_relayed
from bloom.livechat.schemas import ChatAttachment

_log = get_logger(__name__)


def relay_to_front(user_id: str, message_id: str) -> bool:
    """Post the message to the user's Front conversation; False when there is nothing to do (already relayed,
    or the chat was erased meanwhile)."""
    message = LivechatWork().messages.get_in(user_id, message_id)
    if message is None or message.front_message_id is not None:
        return False
    files = [attachments.outgoing_file(attachment) for attachment in message.attachments if attachment.object_name]
    front_message_id = front.post_incoming(user_id, message.id, message.text, files)
    return LivechatWork.run_in_transaction(lambda uow: record_relayed(uow, user_id, message_id, front_message_id))


def apply_front_request(request: FrontChannelRequest, received_at: datetime) -> FrontChannelAnswer:
    """What Front's channel asks (its webhook, verified): a teammate's reply becomes the user's `agent_reply`
    (once per Front message: `record_agent_reply` is idempotent), threaded back to the user's conversation."""
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
