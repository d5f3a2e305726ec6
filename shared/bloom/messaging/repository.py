"""Messaging's documents: `threads/{id}` with its `messages` (what participants receive; clients listen to
them under the security rules) and its clients' `typing/{uid}` markers, `messageOriginals/{messageId}` (the
sender's own text of a blurred or blocked message; server only), `messageAudit` (append-only; server only),
`safetyAlerts/{threadId}` (the safety team's alert window of a thread; server only), the clients'
`presence/{uid}` and `presenceViewers/{uid}` (who shares a thread with `uid`, for the security rules; server
only)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bloom.messaging.models import MessageRecord, OriginalRecord, PresenceViewers, SafetyAlertWindow, ThreadRecord
from bloom.messaging.schemas import AuditRecord
from bloom.platform.cursors import AfterTimeAndId
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.indexes import composite_index
from bloom.platform.store.repository import ChangeValue, Filter, Repository, is_valid_doc_id
from bloom.platform.store.request_checks import settle_checks
from bloom.platform.store.unit_of_work import UnitOfWork, repository

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference

THREADS = "threads"
THREADS_OF_PARTICIPANT = composite_index(
    THREADS, ("participantUids", "CONTAINS"), ("lastMessageAt", "DESCENDING"), ("__name__", "DESCENDING")
)
SUPPORT_QUEUE = composite_index(
    THREADS, ("kind", "ASCENDING"), ("lastMessageAt", "DESCENDING"), ("__name__", "DESCENDING")
)
AUDIT_OF_THREAD = composite_index(
    "messageAudit", ("threadId", "ASCENDING"), ("at", "DESCENDING"), ("__name__", "DESCENDING")
)
ERASURE_PAGE = 300


def _page(query: Any, order_field: str, after: AfterTimeAndId | None, ref: DocumentReference | None) -> Any:
    from google.cloud.firestore import Query
    from google.cloud.firestore_v1.field_path import FieldPath

    query = query.order_by(order_field, direction=Query.DESCENDING)
    query = query.order_by(FieldPath.document_id(), direction=Query.DESCENDING)
    if after is not None and ref is not None:
        query = query.start_after({order_field: after.at, FieldPath.document_id(): ref})
    return query


class ThreadsRepository(Repository[ThreadRecord]):
    collection_name = THREADS
    model = ThreadRecord

    def page_of(self, uid: str, after: AfterTimeAndId | None, limit: int) -> list[ThreadRecord]:
        """One query: the participant's threads, newest activity first, after a cursor."""
        query = self.query([Filter("participantUids", "array_contains", uid)])
        if query is None:
            return []
        query = _page(query, "lastMessageAt", after, self.ref(after.id) if after else None).limit(limit)
        count_round_trip()
        return [ThreadRecord.model_validate(s.to_dict()) for s in query.stream()]

    def support_page(self, after: AfterTimeAndId | None, limit: int) -> list[ThreadRecord]:
        """One query: every support thread, newest activity first, after a cursor."""
        query = self.query([Filter("kind", "==", "support")])
        if query is None:
            return []
        query = _page(query, "lastMessageAt", after, self.ref(after.id) if after else None).limit(limit)
        count_round_trip()
        return [ThreadRecord.model_validate(s.to_dict()) for s in query.stream()]

    def set_read(self, thread_id: str, user_id: str, message_id: str) -> None:
        from google.cloud.firestore_v1.field_path import FieldPath

        self._update_stored(thread_id, {FieldPath("readBy", user_id).to_api_repr(): message_id})

    def of_participant(self, user_id: str) -> list[ThreadRecord]:
        return [item for _, item in self.select([Filter("participantIds", "array_contains", user_id)])]


class MessagesRepository(Repository[MessageRecord]):
    """`threads/{threadId}/messages/{id}`: every method names the thread."""

    collection_name = "messages"
    model = MessageRecord

    def message_ref(self, thread_id: str, message_id: str) -> DocumentReference:
        ref: DocumentReference = (
            db().collection(THREADS).document(thread_id).collection(self.collection_name).document(message_id)
        )
        return ref

    def get_in(self, thread_id: str, message_id: str) -> MessageRecord | None:
        if not (is_valid_doc_id(thread_id) and is_valid_doc_id(message_id)):
            return None
        count_round_trip()
        return self.from_snapshot(self.message_ref(thread_id, message_id).get(transaction=self.session.transaction))

    def create_in(self, record: MessageRecord) -> None:
        self.session.create(self.message_ref(record.thread_id, record.id), self.to_doc(record))

    def change_in(self, thread_id: str, message_id: str, **changes: ChangeValue) -> None:
        """`change` for a message of a thread."""
        self.session.update(self.message_ref(thread_id, message_id), self.stored_changes(changes))

    def _of_thread(self, thread_id: str, filters: list[Filter]) -> Any | None:
        """`query` over the thread's messages; None for an id no thread can have."""
        if not is_valid_doc_id(thread_id):
            return None
        return self.query(filters, of=db().collection(THREADS).document(thread_id).collection(self.collection_name))

    def newest_first(self, thread_id: str, before: AfterTimeAndId | None, limit: int) -> list[MessageRecord]:
        """Newest first, older than the cursor."""
        query = self._of_thread(thread_id, [])
        if query is None:
            return []
        ref = self.message_ref(thread_id, before.id) if before else None
        query = _page(query, "createdAt", before, ref).limit(limit)
        count_round_trip()
        return [MessageRecord.model_validate(s.to_dict()) for s in query.stream()]

    def sent_by(self, thread_id: str, sender_id: str) -> list[MessageRecord]:
        query = self._of_thread(thread_id, [Filter("senderId", "==", sender_id)])
        if query is None:
            return []
        count_round_trip()
        return [MessageRecord.model_validate(s.to_dict()) for s in query.stream()]


class OriginalsRepository(Repository[OriginalRecord]):
    collection_name = "messageOriginals"
    model = OriginalRecord

    def delete_of_sender(self, sender_id: str) -> int:
        """Delete every original of the sender's messages (erasure), in committed batches."""
        return self.delete_where("senderId", sender_id)


class AuditRepository(Repository[AuditRecord]):
    collection_name = "messageAudit"
    model = AuditRecord

    def page_of_thread(self, thread_id: str, before: AfterTimeAndId | None, limit: int) -> list[AuditRecord]:
        query = self.query([Filter("threadId", "==", thread_id)])
        if query is None:
            return []
        query = _page(query, "at", before, self.ref(before.id) if before else None).limit(limit)
        count_round_trip()
        return [AuditRecord.model_validate(s.to_dict()) for s in query.stream()]


class SafetyAlertsRepository(Repository[SafetyAlertWindow]):
    collection_name = "safetyAlerts"
    model = SafetyAlertWindow

    def follow_ups_due(self, now: datetime, limit: int) -> list[tuple[str, SafetyAlertWindow]]:
        """(thread id, window) of windows whose follow-up is due at `now`, the longest due first (one range
        query on a single field: no composite index)."""
        due = [Filter("followUpDueAt", "<=", now)]
        return self.select(due, order_by=[("followUpDueAt", "ASCENDING")], limit=limit)


class PresenceViewersRepository(Repository[PresenceViewers]):
    collection_name = "presenceViewers"
    model = PresenceViewers

    def share(self, uids: list[str]) -> None:
        """Each of `uids` may see the others' presence from now on (merged into each one's list, no read)."""
        from google.cloud.firestore import ArrayUnion

        for uid in uids:
            others = [other for other in uids if other != uid]
            if others:
                self.session.set(self.ref(uid), {"viewerUids": ArrayUnion(others)}, merge=True)

    def unshare(self, uid: str, others: list[str]) -> None:
        """`uid` (erased) no longer sees the presence of `others`, and their list of viewers of `uid` goes."""
        from google.cloud.firestore import ArrayRemove

        self.delete(uid)
        for other in others:
            if other != uid:
                self.session.set(self.ref(other), {"viewerUids": ArrayRemove([uid])}, merge=True)


class MessagingWork(UnitOfWork):
    threads = repository(ThreadsRepository)
    messages = repository(MessagesRepository)
    originals = repository(OriginalsRepository)
    audit = repository(AuditRepository)
    safety_alerts = repository(SafetyAlertsRepository)
    presence_viewers = repository(PresenceViewersRepository)

    def load(
        self, thread_id: str, message_id: str | None = None
    ) -> tuple[ThreadRecord | None, MessageRecord | None, OriginalRecord | None]:
        """A thread, one of its messages and that message's original, in one round trip."""
        if not is_valid_doc_id(thread_id) or (message_id is not None and not is_valid_doc_id(message_id)):
            return None, None, None
        refs = [self.threads.ref(thread_id)]
        if message_id is not None:
            refs += [self.messages.message_ref(thread_id, message_id), self.originals.ref(message_id)]
        count_round_trip()
        found = {s.reference.path: s for s in db().get_all(refs, transaction=self.transaction)}
        thread = self.threads.from_snapshot(found[refs[0].path]) if refs[0].path in found else None
        if message_id is None:
            return thread, None, None
        message_snapshot, original_snapshot = found.get(refs[1].path), found.get(refs[2].path)
        message = self.messages.from_snapshot(message_snapshot) if message_snapshot is not None else None
        original = self.originals.from_snapshot(original_snapshot) if original_snapshot is not None else None
        return thread, message, original

    def erase_client_documents(self, uid: str, thread_ids: list[str]) -> None:
        """Delete the user's presence and typing markers (documents only clients write), in committed batches."""
        refs = [db().collection("presence").document(uid)]
        refs += [db().collection(THREADS).document(t).collection("typing").document(uid) for t in thread_ids]
        for start in range(0, len(refs), ERASURE_PAGE):
            batch = db().batch()
            for ref in refs[start : start + ERASURE_PAGE]:
                batch.delete(ref)
            settle_checks()
            count_round_trip()
            batch.commit()
