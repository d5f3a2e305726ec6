"""Threads: opening a care or support thread, the caller's threads (or the support queue) in pages, and the end
of an assignment, which makes its care thread read-only in the same transaction.

Opening a thread (and a practice admin joining a support thread) also lets its participants see each other's
presence (`presenceViewers`, checked by the security rules), in the same transaction. Someone else's thread id
is answered like an unknown one (404).
"""

from __future__ import annotations

from bloom.core.time import utcnow
from bloom.messaging import errors
from bloom.messaging.models import ThreadRecord, care_thread_id, support_thread_id
from bloom.messaging.repository import MessagingWork
from bloom.messaging.schemas import CreateThread, Thread, ThreadPage, ThreadsQuery
from bloom.platform import cursors
from bloom.platform.auth import FORBIDDEN
from bloom.practice import errors as practice_errors
from bloom.practice import service as practice
from bloom.practice.schemas import Assignment
from bloom.search import service as search
from bloom.search.schemas import PRACTICE_ADMINS, care_scope, thread_scope
from bloom.users.schemas import Caller


def readable(caller: Caller, thread: ThreadRecord | None) -> ThreadRecord:
    """The thread if the caller takes part in it (a practice admin answers any support thread); 404 otherwise."""
    if thread is None:
        raise errors.THREAD_NOT_FOUND.error()
    if caller.user.id in thread.participant_ids or (thread.kind == "support" and caller.is_practice_admin):
        return thread
    raise errors.THREAD_NOT_FOUND.error()


def search_readers(thread: ThreadRecord, *also: str) -> list[str]:
    """Who finds a thread's messages in search: its participants (and `also`, a practice admin joining), and for
    a support thread every practice admin."""
    readers = list(dict.fromkeys([*thread.participant_ids, *also]))
    return [*readers, PRACTICE_ADMINS] if thread.kind == "support" else readers


def open_thread(caller: Caller, body: CreateThread) -> Thread:
    """The care thread of an active assignment (one per assignment: asking again returns it) or the caller's
    support thread."""

    def work(uow: MessagingWork) -> ThreadRecord:
        now = utcnow()
        if body.kind == "support":
            thread_id = support_thread_id(caller.user.id)
            thread, _, _ = uow.load(thread_id)
            if thread is not None:
                return _sharing_presence(uow, _searchable(uow, thread))
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
            if parties.status == "active":  # the therapist finds their notes of the patient again (a new assignment)
                search.grant_in(uow, care_scope(parties.patient_id), [parties.therapist_user_id])
            if thread is not None:
                return _sharing_presence(uow, _searchable(uow, thread))
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
        return _sharing_presence(uow, _searchable(uow, record))

    return MessagingWork.run_in_transaction(work).out()


def _sharing_presence(uow: MessagingWork, thread: ThreadRecord) -> ThreadRecord:
    """The participants may see each other's presence. Written again when a thread is asked for again (merged,
    in the same commit: no round trip), so threads opened before presence sharing existed share it too."""
    uow.presence_viewers.share(thread.participant_uids)
    return thread


def _searchable(uow: MessagingWork, thread: ThreadRecord) -> ThreadRecord:
    """Its readers hold the thread's search scope (again, merged in the same commit: threads opened before search
    existed become searchable); a read-only care thread's therapist has lost it and does not get it back."""
    if not thread.read_only:
        search.grant_in(uow, thread_scope(thread.id), search_readers(thread))
    return thread


def list_threads(caller: Caller, query: ThreadsQuery) -> ThreadPage:
    """One query whatever the number of threads: a page, newest activity first (the caller's threads, or for a
    practice admin asking for `kind=support`, every support thread)."""
    if query.kind == "support" and not caller.is_practice_admin:
        raise FORBIDDEN.error()
    after = cursors.decode(query.cursor, cursors.AfterTimeAndId)
    with MessagingWork() as uow:
        if query.kind == "support":
            found = uow.threads.support_page(after, query.limit + 1)
        else:
            found = uow.threads.page_of(caller.auth_uid, after, query.limit + 1)
    page = found[: query.limit]
    more = len(found) > query.limit
    last = page[-1] if more else None
    next_cursor = cursors.encode(cursors.AfterTimeAndId(at=last.last_message_at, id=last.id)) if last else None
    return ThreadPage(items=[thread.out() for thread in page], next_cursor=next_cursor)


def end_assignment(caller: Caller, assignment_id: str) -> Assignment:
    """End an assignment and make its care thread read-only, in one transaction; the therapist's search results
    of the thread and of their notes of the patient go at once."""

    def work(uow: MessagingWork) -> Assignment:
        thread, _, _ = uow.load(care_thread_id(assignment_id))  # reads before the practice's writes
        ended = practice.end_assignment_in(uow, caller, assignment_id)
        if thread is not None:
            uow.threads.change(thread.id, read_only=True)
            search.revoke_in(uow, thread_scope(thread.id), [ended.therapist_user_id])
        search.revoke_in(uow, care_scope(ended.patient_id), [ended.therapist_user_id])  # their notes of the patient
        return ended.out()

    return MessagingWork.run_in_transaction(work)
