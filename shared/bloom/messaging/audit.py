"""The message audit (`messageAudit`, append-only, server only): one record for every send, edit, delete,
reaction and moderation decision, written in the transaction of the change, with the content as SHA-256 digests,
never text. Practice admins read a thread's audit, and that read is audited too."""

from __future__ import annotations

import uuid

from bloom.core.time import utcnow
from bloom.messaging import errors
from bloom.messaging.models import sha256_hex
from bloom.messaging.moderation import Verdict
from bloom.messaging.repository import MessagingWork
from bloom.messaging.schemas import AuditAction, AuditModeration, AuditPage, AuditQuery, AuditRecord, ModelPass
from bloom.platform import cursors
from bloom.users.schemas import Caller


def record_in(
    uow: MessagingWork,
    action: AuditAction,
    caller: Caller,
    thread_id: str,
    request_id: str | None,
    *,
    message_id: str | None = None,
    before: str | None = None,
    after: str | None = None,
    emoji: str | None = None,
    moderation: AuditModeration | None = None,
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
        moderation=moderation,
        emoji=emoji,
    )
    uow.audit.create(record.id, record)


def record_moderation_in(
    uow: MessagingWork,
    caller: Caller,
    thread_id: str,
    request_id: str | None,
    message_id: str,
    verdict: Verdict,
    model_pass: ModelPass,
    *,
    before: str | None = None,
    after: str,
) -> None:
    """The moderation decision on a sent or edited text (`before`: the text an edit replaces)."""
    decision = AuditModeration(state=verdict.state, reasons=list(verdict.reasons), model_pass=model_pass)
    record_in(
        uow,
        "moderation",
        caller,
        thread_id,
        request_id,
        message_id=message_id,
        before=before,
        after=after,
        moderation=decision,
    )


def audit_of_thread(caller: Caller, query: AuditQuery, request_id: str | None) -> AuditPage:
    """Practice admins; the read is itself audited (committed before the records are shown)."""
    before = cursors.decode(query.before, cursors.AfterTimeAndId)
    with MessagingWork() as uow:
        thread, _, _ = uow.load(query.thread_id)
        if thread is None:
            raise errors.THREAD_NOT_FOUND.error()
        record_in(uow, "audit_read", caller, query.thread_id, request_id)
    with MessagingWork() as uow:
        found = uow.audit.page_of_thread(query.thread_id, before, query.limit + 1)
    page = found[: query.limit]
    more = len(found) > query.limit
    next_cursor = cursors.encode(cursors.AfterTimeAndId(at=page[-1].at, id=page[-1].id)) if more else None
    return AuditPage(items=page, next_cursor=next_cursor)
