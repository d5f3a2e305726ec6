"""Messaging's side of the safety team and of erasure (a service module, like `service`).

The safety team hears of flagged messages in Slack (ids and reasons only). When a user is deleted, their
presence and typing markers go and the texts of their messages are removed; the records stay so the other
side's history reads with a "deleted user" placeholder, and audit records keep ids and hashes only.
"""

from __future__ import annotations

from typing import Any

from bloom.core.logging import get_logger
from bloom.messaging.events import MessageFlagged
from bloom.messaging.models import ThreadRecord
from bloom.messaging.repository import MessagingWork
from bloom.notifications import service as notifications
from bloom.platform.store.repository import ArrayRemove

_log = get_logger(__name__)
ERASE_BATCH = 200  # messages per committed batch (Firestore takes 500 writes)


def alert_safety_team(flagged: MessageFlagged) -> bool:
    """A Slack alert with ids and reasons only."""
    return notifications.announce_safety_flag(flagged.thread_id, flagged.message_id, flagged.reasons)


def erase_user_messages(user_id: str, auth_uid: str | None) -> int:
    """A deleted user's presence and typing markers go; the texts of their messages (and originals) are removed,
    the records stay so the other side's history reads with a "deleted user" placeholder; audit records keep
    ids and hashes. Idempotent; returns the number of messages erased."""
    with MessagingWork() as uow:
        threads = uow.threads.of_participant(user_id)
    uids = [auth_uid] if auth_uid else []  # events recorded before `auth_uid` existed leave client documents
    erased = 0
    for thread in threads:
        with MessagingWork() as uow:
            mine = [m for m in uow.messages.sent_by(thread.id, user_id) if not m.sender_erased]
        for start in range(0, len(mine), ERASE_BATCH):
            with MessagingWork() as uow:
                for record in mine[start : start + ERASE_BATCH]:
                    fields = {"text": "", "attachments": [], "senderErased": True}
                    uow.messages.update_in(thread.id, record.id, fields)
                    uow.originals.delete(record.id)
        erased += len(mine)
        _erase_from_thread(thread, user_id, uids)
    with MessagingWork() as uow:
        uow.originals.delete_matching(sender_id=user_id)  # blocked messages live there only
        for uid in uids:
            uow.erase_client_documents(uid, [thread.id for thread in threads])
    _log.info("user messages erased", extra={"messages": erased, "threads": len(threads)})
    return erased


def _erase_from_thread(thread: ThreadRecord, user_id: str, uids: list[str]) -> None:
    changes: dict[str, Any] = {"read_only": True} if thread.kind == "care" and not thread.read_only else {}
    if uids:
        changes["participant_uids"] = ArrayRemove(tuple(uids))
    if thread.last_message_sender_id == user_id:
        changes["last_message_preview"] = ""
    if changes:
        with MessagingWork() as uow:
            uow.threads.change(thread.id, **changes)
