"""The in-app notifications' documents: `users/{authUid}/notifications/{id}`, beneath the user's document so the
security rules let exactly its owner read them (and set `readAt`). Keyed by the Firebase uid, as the rules see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bloom.notifications.models import NotificationRecord
from bloom.platform.store.client import count_round_trip, db
from bloom.platform.store.repository import InvalidDocumentId, Repository, is_valid_doc_id
from bloom.platform.store.request_checks import settle_checks
from bloom.platform.store.unit_of_work import UnitOfWork, repository

if TYPE_CHECKING:
    from google.cloud.firestore import CollectionReference, DocumentReference

USERS = "users"
ERASURE_PAGE = 300


class NotificationsRepository(Repository[NotificationRecord]):
    """Every method names the owner's uid."""

    collection_name = "notifications"
    model = NotificationRecord

    def inbox(self, uid: str) -> CollectionReference:
        collection: CollectionReference = db().collection(USERS).document(uid).collection(self.collection_name)
        return collection

    def notification_ref(self, uid: str, notification_id: str) -> DocumentReference:
        if not (is_valid_doc_id(uid) and is_valid_doc_id(notification_id)):
            raise InvalidDocumentId("notifications: invalid document id")
        ref: DocumentReference = self.inbox(uid).document(notification_id)
        return ref

    def create_in(self, uid: str, notification_id: str, record: NotificationRecord) -> None:
        """Create the notification; the commit fails (DuplicateDocument) if it was created before."""
        self.session.create(self.notification_ref(uid, notification_id), self.to_doc(record))

    def existing(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (uid, notification id) pairs exist, in one round trip."""
        refs = [self.notification_ref(uid, notification_id) for uid, notification_id in keys]
        if not refs:
            return set()
        count_round_trip()
        snapshots = db().get_all(refs, transaction=self.session.transaction)
        return {(s.reference.parent.parent.id, s.id) for s in snapshots if s.exists}

    def of_owner(self, uid: str) -> dict[str, NotificationRecord]:
        count_round_trip()
        return {s.id: NotificationRecord.model_validate(s.to_dict()) for s in self.inbox(uid).stream()}

    def delete_all_of(self, uid: str) -> int:
        """Delete the owner's every notification, in committed batches (erasure). Idempotent."""
        deleted = 0
        while True:
            count_round_trip()
            refs = [snapshot.reference for snapshot in self.inbox(uid).limit(ERASURE_PAGE).stream()]
            if not refs:
                return deleted
            batch = db().batch()
            for ref in refs:
                batch.delete(ref)
            settle_checks()
            count_round_trip()
            batch.commit()
            deleted += len(refs)


class NotificationsWork(UnitOfWork):
    notifications = repository(NotificationsRepository)
