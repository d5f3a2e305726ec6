"""Messages: moderated sends and edits, deletes, reactions, read receipts and pages of a thread's messages.

Every change writes its audit records (`audit`) in the transaction that makes it. A message's id derives from
(thread, sender, clientMessageId), so a retry or a concurrent duplicate names the same document and at most one
is created. Moderation runs before the transaction (the model pass is a network call); blurred text is what
recipients get, the sender sees their own (kept in `messageOriginals`), and a blocked message is never delivered.
A flagged message records a `message.flagged` event for the safety team (`safety`). Someone else's thread or
message id is answered like an unknown one (404).
"""

from __future__ import annotations

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.files import service as files
from bloom.messaging import audit, errors, openai
from bloom.messaging.events import MESSAGE_FLAGGED, MessageFlagged
from bloom.messaging.models import (
    MAX_REACTIONS,
    MessageRecord,
    OriginalRecord,
    ThreadRecord,
    is_emoji,
    message_id,
    preview,
    within_edit_window,
)
from bloom.messaging.moderation import Verdict, moderate
from bloom.messaging.repository import MessagingWork
from bloom.messaging.schemas import (
    Attachment,
    AuditAction,
    EditMessage,
    MarkRead,
    Message,
    MessagePage,
    MessagesQuery,
    SendMessage,
    Thread,
)
from bloom.messaging.threads import readable, search_readers
from bloom.platform import cursors
from bloom.platform.store.repository import ArrayAdd, ChangeValue
from bloom.search import service as search
from bloom.search.schemas import IndexedRecord, ReaderView, thread_scope
from bloom.users.schemas import Caller

_log = get_logger(__name__)


def _attachments_in(
    uow: MessagingWork, attachment_ids: list[str], sender_id: str, participant_ids: list[str]
) -> list[Attachment]:
    """The attachments of a message: the sender's available uploads, shared with the thread's participants in the
    same transaction (409 ATTACHMENT_NOT_AVAILABLE for anything else, someone else's upload included)."""
    if not attachment_ids:
        return []
    shared = files.attach_in(uow, attachment_ids, sender_id, participant_ids)
    return [Attachment.model_validate(attachment.model_dump()) for attachment in shared]


def _shown(caller: Caller, record: MessageRecord, original: OriginalRecord | None) -> Message:
    """The sender sees their own text; everyone else what was delivered."""
    own = original is not None and original.sender_id == caller.user.id and record.deleted_at is None
    return record.out(original.text if own and original is not None else None)


def _flag_in(uow: MessagingWork, thread_id: str, mid: str, verdict: Verdict, at_iso: str) -> None:
    if verdict.flagged_for_safety:
        flagged = MessageFlagged(thread_id=thread_id, message_id=mid, reasons=list(verdict.reasons), flagged_at=at_iso)
        uow.emit(MESSAGE_FLAGGED, flagged)


def _index_in(uow: MessagingWork, thread: ThreadRecord, record: MessageRecord, own_text: str) -> None:
    """The message in search, for each reader as they see it: the sender's own text for the sender, the
    delivered (blurred) text for everyone else. Blind writes in the same commit."""
    views = [
        ReaderView(
            reader_id=reader,
            text=own_text if reader == record.sender_id else record.text,
            scope=thread_scope(thread.id),
        )
        for reader in search_readers(thread, record.sender_id)
    ]
    indexed = IndexedRecord(kind="message", record_id=record.id, at=record.created_at, thread_id=thread.id, views=views)
    search.index_in(uow, indexed)


def list_messages(caller: Caller, thread_id: str, query: MessagesQuery) -> MessagePage:
    before = cursors.decode(query.before, cursors.AfterTimeAndId)
    with MessagingWork() as uow:
        thread, _, _ = uow.load(thread_id)
        readable(caller, thread)
        found = uow.messages.newest_first(thread_id, before, query.limit + 1)
        page = found[: query.limit]
        own = [m.id for m in page if m.sender_id == caller.user.id and m.moderation.state != "clean"]
        originals = uow.originals.get_many(own) if own else {}
    last = page[-1] if len(found) > query.limit else None
    next_cursor = cursors.encode(cursors.AfterTimeAndId(at=last.created_at, id=last.id)) if last else None
    return MessagePage(items=[_shown(caller, m, originals.get(m.id)) for m in page], next_cursor=next_cursor)


def send_message(caller: Caller, thread_id: str, body: SendMessage, request_id: str | None) -> Message:
    mid = message_id(thread_id, caller.auth_uid, body.client_message_id)
    if openai.enabled():  # check access (and a retry) before sending the text to the model
        with MessagingWork() as uow:
            thread, existing, original = uow.load(thread_id, mid)
        readable(caller, thread)
        if existing is not None or (original is not None and original.message is not None):
            return _replay(caller, existing, original)
    verdict, model_pass = moderate(body.text)

    def work(uow: MessagingWork) -> Message:
        thread, existing, original = uow.load(thread_id, mid)
        thread = readable(caller, thread)
        if existing is not None or (original is not None and original.message is not None):
            return _replay(caller, existing, original)
        if thread.read_only:
            raise errors.THREAD_READ_ONLY.error()
        attachments = _attachments_in(uow, body.attachment_ids, caller.user.id, thread.participant_ids)
        now = utcnow()
        record = MessageRecord(
            id=mid,
            thread_id=thread_id,
            sender_id=caller.user.id,
            client_message_id=body.client_message_id,
            text=verdict.delivered,
            moderation=verdict.moderation(),
            attachments=attachments,
            created_at=now,
        )
        if verdict.state == "blocked":
            held = record.model_copy(update={"text": ""})
            held_original = OriginalRecord(
                id=mid, thread_id=thread_id, sender_id=caller.user.id, text=body.text, message=held
            )
            uow.originals.create(mid, held_original)
        else:
            uow.messages.create_in(record)
            if verdict.delivered != body.text:
                original_record = OriginalRecord(id=mid, thread_id=thread_id, sender_id=caller.user.id, text=body.text)
                uow.originals.create(mid, original_record)
            _touch_thread(uow, caller, thread, record)
            _index_in(uow, thread, record, body.text)
        audit.record_in(uow, "send", caller, thread_id, request_id, message_id=mid, after=body.text)
        audit.record_moderation_in(uow, caller, thread_id, request_id, mid, verdict, model_pass, after=body.text)
        _flag_in(uow, thread_id, mid, verdict, now.isoformat())
        return record.out(body.text)

    message = MessagingWork.run_in_transaction(work)
    _log.info("message sent", extra={"threadId": thread_id, "messageId": mid, "moderation": verdict.state})
    return message


def _replay(caller: Caller, existing: MessageRecord | None, original: OriginalRecord | None) -> Message:
    if existing is not None:
        return _shown(caller, existing, original)
    assert original is not None and original.message is not None
    return original.message.out(original.text)


def _touch_thread(uow: MessagingWork, caller: Caller, thread: ThreadRecord, record: MessageRecord) -> None:
    changes: dict[str, ChangeValue] = {
        "last_message_at": record.created_at,
        "last_message_preview": preview(record.text),
        "last_message_sender_id": record.sender_id,
    }
    joining = caller.user.id not in thread.participant_ids  # a practice admin answering a support thread joins it
    if joining:
        changes["participant_ids"] = ArrayAdd((caller.user.id,))
        changes["participant_uids"] = ArrayAdd((caller.auth_uid,))
    uow.threads.change(thread.id, **changes)
    if joining:
        uow.presence_viewers.share([*thread.participant_uids, caller.auth_uid])


def _load_own(uow: MessagingWork, caller: Caller, thread_id: str, mid: str) -> tuple[ThreadRecord, MessageRecord, str]:
    """A message of the caller (and its text as they wrote it) in a thread they can write to, and the thread."""
    thread, record, original = uow.load(thread_id, mid)
    thread = readable(caller, thread)
    if record is None or record.sender_id != caller.user.id:
        raise errors.MESSAGE_NOT_FOUND.error()
    if record.deleted_at is not None:
        raise errors.MESSAGE_DELETED.error()
    if thread.read_only:
        raise errors.THREAD_READ_ONLY.error()
    return thread, record, original.text if original is not None else record.text


def edit_message(caller: Caller, thread_id: str, mid: str, body: EditMessage, request_id: str | None) -> Message:
    """The sender, within 15 minutes; the new text is moderated again."""
    with MessagingWork() as uow:
        _, record, _ = _load_own(uow, caller, thread_id, mid)
    if not within_edit_window(record.created_at, utcnow()):
        raise errors.EDIT_WINDOW_CLOSED.error()
    verdict, model_pass = moderate(body.text)

    def work(uow: MessagingWork) -> Message:
        thread, record, before = _load_own(uow, caller, thread_id, mid)
        now = utcnow()
        if not within_edit_window(record.created_at, now):
            raise errors.EDIT_WINDOW_CLOSED.error()
        audit.record_moderation_in(
            uow, caller, thread_id, request_id, mid, verdict, model_pass, before=before, after=body.text
        )
        if verdict.state == "blocked":
            return record.out(before)
        changes = {"text": verdict.delivered, "moderation": verdict.moderation(), "edited_at": now}
        uow.messages.change_in(thread_id, mid, **changes)
        if verdict.delivered != body.text:
            uow.originals.save(
                mid, OriginalRecord(id=mid, thread_id=thread_id, sender_id=caller.user.id, text=body.text)
            )
        else:
            uow.originals.delete(mid)
        audit.record_in(uow, "edit", caller, thread_id, request_id, message_id=mid, before=before, after=body.text)
        _flag_in(uow, thread_id, mid, verdict, now.isoformat())
        edited = record.model_copy(update=changes)
        _index_in(uow, thread, edited, body.text)
        return edited.out(body.text)

    edited = MessagingWork.run_in_transaction(work)
    if verdict.state == "blocked":
        raise errors.MESSAGE_BLOCKED.error()
    return edited


def delete_message(caller: Caller, thread_id: str, mid: str, request_id: str | None) -> Message:
    """The sender or a practice admin: text and attachments removed, the record stays."""

    def work(uow: MessagingWork) -> Message:
        thread, record, original = uow.load(thread_id, mid)
        if not caller.is_practice_admin:
            readable(caller, thread)
        if thread is None or record is None or not (caller.is_practice_admin or record.sender_id == caller.user.id):
            raise errors.MESSAGE_NOT_FOUND.error()
        if record.deleted_at is not None:
            return record.out()
        changes = {"text": "", "attachments": [], "deleted_at": utcnow()}
        uow.messages.change_in(thread_id, mid, **changes)
        if original is not None:
            uow.originals.delete(mid)
        before = original.text if original is not None else record.text
        audit.record_in(uow, "delete", caller, thread_id, request_id, message_id=mid, before=before)
        search.remove_in(uow, "message", mid, search_readers(thread, record.sender_id))
        return record.model_copy(update=changes).out()

    return MessagingWork.run_in_transaction(work)


def react(caller: Caller, thread_id: str, mid: str, emoji: str, *, add: bool, request_id: str | None) -> Message:
    if not is_emoji(emoji):
        raise errors.INVALID_EMOJI.error()

    def work(uow: MessagingWork) -> Message:
        thread, record, original = uow.load(thread_id, mid)
        readable(caller, thread)
        if record is None:
            raise errors.MESSAGE_NOT_FOUND.error()
        if record.deleted_at is not None:
            raise errors.MESSAGE_DELETED.error()
        reactions = {key: list(value) for key, value in record.reactions.items()}
        users = reactions.setdefault(emoji, [])
        if add == (caller.user.id in users):
            return _shown(caller, record, original)  # already so: nothing to record
        if add and len([k for k, v in reactions.items() if v]) >= MAX_REACTIONS and not users:
            raise errors.TOO_MANY_REACTIONS.error()
        if add:
            users.append(caller.user.id)
        else:
            users.remove(caller.user.id)
        remaining = {key: value for key, value in reactions.items() if value}
        uow.messages.change_in(thread_id, mid, reactions=remaining)
        action: AuditAction = "reaction_add" if add else "reaction_remove"
        audit.record_in(uow, action, caller, thread_id, request_id, message_id=mid, emoji=emoji)
        return _shown(caller, record.model_copy(update={"reactions": remaining}), original)

    return MessagingWork.run_in_transaction(work)


def mark_read(caller: Caller, thread_id: str, body: MarkRead) -> Thread:
    def work(uow: MessagingWork) -> Thread:
        thread, record, _ = uow.load(thread_id, body.message_id)
        thread = readable(caller, thread)
        if record is None:
            raise errors.MESSAGE_NOT_FOUND.error()
        uow.threads.set_read(thread_id, caller.user.id, body.message_id)
        return thread.model_copy(update={"read_by": {**thread.read_by, caller.user.id: body.message_id}}).out()

    return MessagingWork.run_in_transaction(work)
