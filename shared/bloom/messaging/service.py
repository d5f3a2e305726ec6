"""Messaging use cases: threads, moderated messages (send, edit, delete), reactions, read receipts, the audit.

Every change writes its `messageAudit` records (content as SHA-256, never text) in the transaction that makes
it. A message's id derives from (thread, sender, clientMessageId), so a retry or a concurrent duplicate names
the same document and at most one is created. Moderation runs before the transaction (the model pass is a
network call); blurred text is what recipients get, the sender sees their own (kept in `messageOriginals`),
and a blocked message is never delivered. Someone else's thread or message id is answered like an unknown
one (404).
"""

from __future__ import annotations

import uuid
from typing import Any

from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.files import service as files
from bloom.messaging import errors, openai
from bloom.messaging.events import MESSAGE_FLAGGED, MessageFlagged
from bloom.messaging.models import (
    MAX_REACTIONS,
    MessageRecord,
    OriginalRecord,
    ThreadRecord,
    Verdict,
    care_thread_id,
    decode_cursor,
    deterministic_pass,
    encode_cursor,
    is_emoji,
    message_id,
    preview,
    sha256_hex,
    support_thread_id,
    with_model_verdict,
    within_edit_window,
)
from bloom.messaging.repository import MessagingWork
from bloom.messaging.schemas import (
    Attachment,
    AuditAction,
    AuditModeration,
    AuditPage,
    AuditQuery,
    AuditRecord,
    CreateThread,
    EditMessage,
    MarkRead,
    Message,
    MessagePage,
    MessagesQuery,
    ModelPass,
    SendMessage,
    Thread,
    ThreadPage,
    ThreadsQuery,
)
from bloom.platform.auth import FORBIDDEN
from bloom.platform.store.repository import ArrayAdd
from bloom.practice import errors as practice_errors
from bloom.practice import service as practice
from bloom.practice.schemas import Assignment
from bloom.users.schemas import Caller

_log = get_logger(__name__)
INVALID_CURSOR = practice_errors.INVALID_CURSOR


# ---------------------------------------------------------------- helpers


def _cursor(raw: str | None) -> Any:
    if raw is None:
        return None
    decoded = decode_cursor(raw)
    if decoded is None:
        raise INVALID_CURSOR.error()
    return decoded


def _can_read(caller: Caller, thread: ThreadRecord | None) -> ThreadRecord:
    """The thread if the caller takes part in it (a practice admin answers any support thread); 404 otherwise."""
    if thread is None:
        raise errors.THREAD_NOT_FOUND.error()
    if caller.user.id in thread.participant_ids or (thread.kind == "support" and caller.is_practice_admin):
        return thread
    raise errors.THREAD_NOT_FOUND.error()


def _audit_in(
    uow: MessagingWork,
    action: AuditAction,
    caller: Caller,
    thread_id: str,
    request_id: str | None,
    *,
    message_id: str | None = None,
    before: str | None = None,
    after: str | None = None,
    verdict: Verdict | None = None,
    model: ModelPass = "off",
    emoji: str | None = None,
) -> None:
    record = AuditRecord(
        id=str(uuid.uuid4()),
        action=action,
        actor_id=caller.user.id,
        thread_id=thread_id,
        message_id=message_id,
        at=utcnow(),
        request_id=request_id,
        content_sha256_before=sha256_hex(before),
        content_sha256_after=sha256_hex(after),
        moderation=(
            AuditModeration(state=verdict.state, reasons=list(verdict.reasons), model_pass=model)
            if verdict is not None
            else None
        ),
        emoji=emoji,
    )
    uow.audit.create(record.id, record)


def _moderate(text: str) -> tuple[Verdict, ModelPass]:
    verdict = deterministic_pass(text)
    if not openai.enabled():
        return verdict, "off"
    categories = openai.flagged_categories(text)
    if categories is None:
        return verdict, "failed"
    return with_model_verdict(verdict, categories), "ok"


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


# ---------------------------------------------------------------- threads


def open_thread(caller: Caller, body: CreateThread) -> Thread:
    """The care thread of an active assignment (one per assignment: asking again returns it) or the caller's
    support thread."""

    def work(uow: MessagingWork) -> ThreadRecord:
        now = utcnow()
        if body.kind == "support":
            thread_id = support_thread_id(caller.user.id)
            thread, _, _ = uow.load(thread_id)
            if thread is not None:
                return thread
            record = ThreadRecord(
                id=thread_id,
                kind="support",
                participant_ids=[caller.user.id],
                participant_uids=[caller.auth_uid],
                created_at=now,
                last_message_at=now,
            )
        else:
            if body.assignment_id is None:
                raise practice_errors.ASSIGNMENT_NOT_FOUND.error()
            thread_id = care_thread_id(body.assignment_id)
            thread, _, _ = uow.load(thread_id)
            parties = practice.care_parties_in(uow, caller, body.assignment_id)
            if caller.user.id not in (parties.patient_id, parties.therapist_user_id):
                raise practice_errors.ASSIGNMENT_NOT_FOUND.error()
            if thread is not None:
                return thread
            if parties.status != "active":
                raise errors.ASSIGNMENT_NOT_ACTIVE.error()
            record = ThreadRecord(
                id=thread_id,
                kind="care",
                participant_ids=[parties.therapist_user_id, parties.patient_id],
                participant_uids=[parties.therapist_uid, parties.patient_uid],
                assignment_id=parties.assignment_id,
                created_at=now,
                last_message_at=now,
            )
        uow.threads.create(record.id, record)
        return record

    return MessagingWork.run_in_transaction(work).out()


def list_threads(caller: Caller, query: ThreadsQuery) -> ThreadPage:
    """One query whatever the number of threads: a page, newest activity first (the caller's threads, or for a
    practice admin asking for `kind=support`, every support thread)."""
    if query.kind == "support" and not caller.is_practice_admin:
        raise FORBIDDEN.error()
    after = _cursor(query.cursor)
    with MessagingWork() as uow:
        if query.kind == "support":
            found = uow.threads.support_page(after, query.limit + 1)
        else:
            found = uow.threads.page_of(caller.auth_uid, after, query.limit + 1)
    page = found[: query.limit]
    more = len(found) > query.limit
    next_cursor = encode_cursor(page[-1].last_message_at, page[-1].id) if more else None
    return ThreadPage(items=[thread.out() for thread in page], next_cursor=next_cursor)


def end_assignment(caller: Caller, assignment_id: str) -> Assignment:
    """End an assignment and make its care thread read-only, in one transaction."""

    def work(uow: MessagingWork) -> Assignment:
        thread, _, _ = uow.load(care_thread_id(assignment_id))  # reads before the practice's writes
        ended = practice.end_assignment_in(uow, caller, assignment_id)
        if thread is not None:
            uow.threads.change(thread.id, read_only=True)
        return ended.out()

    return MessagingWork.run_in_transaction(work)


# ---------------------------------------------------------------- messages


def list_messages(caller: Caller, thread_id: str, query: MessagesQuery) -> MessagePage:
    before = _cursor(query.before)
    with MessagingWork() as uow:
        thread, _, _ = uow.load(thread_id)
        _can_read(caller, thread)
        found = uow.messages.newest_first(thread_id, before, query.limit + 1)
        page = found[: query.limit]
        own = [m.id for m in page if m.sender_id == caller.user.id and m.moderation.state != "clean"]
        originals = uow.originals.get_many(own) if own else {}
    more = len(found) > query.limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return MessagePage(items=[_shown(caller, m, originals.get(m.id)) for m in page], next_cursor=next_cursor)


def send_message(caller: Caller, thread_id: str, body: SendMessage, request_id: str | None) -> Message:
    mid = message_id(thread_id, caller.auth_uid, body.client_message_id)
    if openai.enabled():  # check access (and a retry) before sending the text to the model
        with MessagingWork() as uow:
            thread, existing, original = uow.load(thread_id, mid)
        _can_read(caller, thread)
        if existing is not None or (original is not None and original.message is not None):
            return _replay(caller, existing, original)
    verdict, model_pass = _moderate(body.text)

    def work(uow: MessagingWork) -> Message:
        thread, existing, original = uow.load(thread_id, mid)
        thread = _can_read(caller, thread)
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
        _audit_in(uow, "send", caller, thread_id, request_id, message_id=mid, after=body.text)
        _audit_in(
            uow,
            "moderation",
            caller,
            thread_id,
            request_id,
            message_id=mid,
            after=body.text,
            verdict=verdict,
            model=model_pass,
        )
        if verdict.flagged_for_safety:
            flagged = MessageFlagged(
                thread_id=thread_id, message_id=mid, reasons=list(verdict.reasons), flagged_at=now.isoformat()
            )
            uow.emit(MESSAGE_FLAGGED, flagged)
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
    changes: dict[str, Any] = {
        "last_message_at": record.created_at,
        "last_message_preview": preview(record.text),
        "last_message_sender_id": record.sender_id,
    }
    if caller.user.id not in thread.participant_ids:  # a practice admin answering a support thread joins it
        changes["participant_ids"] = ArrayAdd((caller.user.id,))
        changes["participant_uids"] = ArrayAdd((caller.auth_uid,))
    uow.threads.change(thread.id, **changes)


def _load_own(uow: MessagingWork, caller: Caller, thread_id: str, mid: str) -> tuple[MessageRecord, str]:
    """A message of the caller (and its text as they wrote it) in a thread they can write to."""
    thread, record, original = uow.load(thread_id, mid)
    thread = _can_read(caller, thread)
    if record is None or record.sender_id != caller.user.id:
        raise errors.MESSAGE_NOT_FOUND.error()
    if record.deleted_at is not None:
        raise errors.MESSAGE_DELETED.error()
    if thread.read_only:
        raise errors.THREAD_READ_ONLY.error()
    return record, original.text if original is not None else record.text


def edit_message(caller: Caller, thread_id: str, mid: str, body: EditMessage, request_id: str | None) -> Message:
    """The sender, within 15 minutes; the new text is moderated again."""
    with MessagingWork() as uow:
        record, _ = _load_own(uow, caller, thread_id, mid)
    if not within_edit_window(record.created_at, utcnow()):
        raise errors.EDIT_WINDOW_CLOSED.error()
    verdict, model_pass = _moderate(body.text)

    def work(uow: MessagingWork) -> Message:
        record, before = _load_own(uow, caller, thread_id, mid)
        now = utcnow()
        if not within_edit_window(record.created_at, now):
            raise errors.EDIT_WINDOW_CLOSED.error()
        _audit_in(
            uow,
            "moderation",
            caller,
            thread_id,
            request_id,
            message_id=mid,
            before=before,
            after=body.text,
            verdict=verdict,
            model=model_pass,
        )
        if verdict.state == "blocked":
            return record.out(before)
        uow.messages.update_in(
            thread_id,
            mid,
            {"text": verdict.delivered, "moderation": verdict.moderation().model_dump(), "editedAt": now},
        )
        if verdict.delivered != body.text:
            uow.originals.save(
                mid, OriginalRecord(id=mid, thread_id=thread_id, sender_id=caller.user.id, text=body.text)
            )
        else:
            uow.originals.delete(mid)
        _audit_in(uow, "edit", caller, thread_id, request_id, message_id=mid, before=before, after=body.text)
        if verdict.flagged_for_safety:
            flagged = MessageFlagged(
                thread_id=thread_id, message_id=mid, reasons=list(verdict.reasons), flagged_at=now.isoformat()
            )
            uow.emit(MESSAGE_FLAGGED, flagged)
        changes = {"text": verdict.delivered, "moderation": verdict.moderation(), "edited_at": now}
        edited = record.model_copy(update=changes)
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
            _can_read(caller, thread)
        if thread is None or record is None or not (caller.is_practice_admin or record.sender_id == caller.user.id):
            raise errors.MESSAGE_NOT_FOUND.error()
        if record.deleted_at is not None:
            return record.out()
        now = utcnow()
        uow.messages.update_in(thread_id, mid, {"text": "", "attachments": [], "deletedAt": now})
        if original is not None:
            uow.originals.delete(mid)
        before = original.text if original is not None else record.text
        _audit_in(uow, "delete", caller, thread_id, request_id, message_id=mid, before=before)
        return record.model_copy(update={"text": "", "attachments": [], "deleted_at": now}).out()

    return MessagingWork.run_in_transaction(work)


def react(caller: Caller, thread_id: str, mid: str, emoji: str, *, add: bool, request_id: str | None) -> Message:
    if not is_emoji(emoji):
        raise errors.INVALID_EMOJI.error()

    def work(uow: MessagingWork) -> Message:
        thread, record, original = uow.load(thread_id, mid)
        _can_read(caller, thread)
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
        uow.messages.update_in(thread_id, mid, {"reactions": {k: v for k, v in reactions.items() if v}})
        action: AuditAction = "reaction_add" if add else "reaction_remove"
        _audit_in(uow, action, caller, thread_id, request_id, message_id=mid, emoji=emoji)
        updated = record.model_copy(update={"reactions": {k: v for k, v in reactions.items() if v}})
        return _shown(caller, updated, original)

    return MessagingWork.run_in_transaction(work)


def mark_read(caller: Caller, thread_id: str, body: MarkRead) -> Thread:
    def work(uow: MessagingWork) -> Thread:
        thread, record, _ = uow.load(thread_id, body.message_id)
        thread = _can_read(caller, thread)
        if record is None:
            raise errors.MESSAGE_NOT_FOUND.error()
        uow.threads.set_read(thread_id, caller.user.id, body.message_id)
        return thread.model_copy(update={"read_by": {**thread.read_by, caller.user.id: body.message_id}}).out()

    return MessagingWork.run_in_transaction(work)


# ---------------------------------------------------------------- the audit


def audit_of_thread(caller: Caller, query: AuditQuery, request_id: str | None) -> AuditPage:
    """Practice admins; the read is itself audited (committed before the records are shown)."""
    before = _cursor(query.before)
    with MessagingWork() as uow:
        thread, _, _ = uow.load(query.thread_id)
        if thread is None:
            raise errors.THREAD_NOT_FOUND.error()
        _audit_in(uow, "audit_read", caller, query.thread_id, request_id)
    with MessagingWork() as uow:
        found = uow.audit.page_of_thread(query.thread_id, before, query.limit + 1)
    page = found[: query.limit]
    more = len(found) > query.limit
    return AuditPage(items=page, next_cursor=encode_cursor(page[-1].at, page[-1].id) if more else None)
