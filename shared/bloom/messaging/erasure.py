"""Messaging's side of erasure (a service module).

When a user is deleted, their presence, typing markers and presence viewers go and the texts of their messages
are removed; the records stay so the other side's history reads with a "deleted user" placeholder, and audit
records keep ids and hashes only.
"""

from __future__ import annotations

from bloom.core.logging import get_logger
from bloom.messaging.models import ThreadRecord
from bloom.messaging.repository import MessagingWork
from bloom.messaging.threads import search_readers
from bloom.platform.store.repository import ArrayRemove, ChangeValue
from bloom.search import service as search
from bloom.search.schemas import thread_scope

_log = get_logger(__name__)
ERASE_BATCH = 200  # messages per committed batch (Firestore takes 500 writes)


def erase_user_messages(user_id: str, auth_uid: str | None) -> int:
    """A deleted user's presence, typing markers and presence viewers go; the texts of their messages (and
    originals) are removed, the records stay so the other side's history reads with a "deleted user"
    placeholder; audit records keep ids and hashes. In search, their messages' entries go for every reader,
    their own entries go, and their care threads and notes leave everyone's results. Idempotent; returns the
    number of messages erased."""
    with MessagingWork() as uow:
        threads = uow.threads.of_participant(user_id)
    uids = [auth_uid] if auth_uid else []  # events recorded before `auth_uid` existed leave client documents
    erased = 0
    for thread in threads:
        with MessagingWork() as uow:
            mine = [m for m in uow.messages.sent_by(thread.id, user_id) if not m.sender_erased]
        search.forget_records("message", [record.id for record in mine], search_readers(thread))  # before the texts
        for start in range(0, len(mine), ERASE_BATCH):
            with MessagingWork() as uow:
                for record in mine[start : start + ERASE_BATCH]:
                    uow.messages.change_in(thread.id, record.id, text="", attachments=[], sender_erased=True)
                    uow.originals.delete(record.id)
        erased += len(mine)
        if thread.kind == "care":  # the assignment is over: neither side keeps the thread in search
            search.close_scope(thread_scope(thread.id))
        _erase_from_thread(thread, user_id, uids)
    partners = sorted({uid for thread in threads for uid in thread.participant_uids})
    with MessagingWork() as uow:
        uow.originals.delete_of_sender(user_id)  # blocked messages live there only
        for uid in uids:
            uow.erase_client_documents(uid, [thread.id for thread in threads])
            uow.presence_viewers.unshare(uid, partners)
    search.forget_person(user_id)
    _log.info("user messages erased", extra={"messages": erased, "threads": len(threads)})
    return erased


def _erase_from_thread(thread: ThreadRecord, user_id: str, uids: list[str]) -> None:
    changes: dict[str, ChangeValue] = {"read_only": True} if thread.kind == "care" and not thread.read_only else {}
    if uids:
        changes["participant_uids"] = ArrayRemove(tuple(uids))
    if thread.last_message_sender_id == user_id:
        changes["last_message_preview"] = ""
    if changes:
        with MessagingWork() as uow:
            uow.threads.change(thread.id, **changes)
