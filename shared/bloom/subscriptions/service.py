"""WhatsApp subscriptions: list, subscribe, cancel, the respond.io contacts that follow, and erasure.

Subscribing: a pending claim on the user (`whatsappClaims/{userId}`, created in a transaction: of two
concurrent requests one gets 409 `ALREADY_EXISTS`), then the respond.io contact, then the record (active), the
claim made active, the copy in the user's profile projection and SUBSCRIPTION_CREATED in one transaction.
respond.io failing → the claim is released and the caller gets 502: nothing is stored.

Cancelling: the record, the claim, the projection and SUBSCRIPTION_CANCELLED in one transaction; the contact is
deleted by the subscriber of that event (`delete_cancelled_contacts`), retried until respond.io takes it, so a
cancellation is never lost while respond.io is down. Erasure cancels what is active, deletes every contact
not yet deleted and redacts the numbers (`erase_user_subscriptions`, on USER_DELETED).

`GET subscription-user` and the profile read the copies on the user document (already read to authenticate),
so they cost no further round trip; `from_records` recomputes them (rebuilds and checks).
"""

from __future__ import annotations

import uuid
from typing import Any

from bloom.core.errors import TransientEventError
from bloom.core.logging import get_logger
from bloom.core.time import utcnow
from bloom.platform.store.unit_of_work import DuplicateDocument, UnitOfWork
from bloom.subscriptions import respond_io
from bloom.subscriptions.errors import (
    ALREADY_CANCELLED,
    ALREADY_EXISTS,
    RESPOND_IO_UNAVAILABLE,
    SUBSCRIPTION_NOT_FOUND,
)
from bloom.subscriptions.events import (
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_CREATED,
    SubscriptionCancelled,
    SubscriptionCreated,
)
from bloom.subscriptions.models import (
    ClaimRecord,
    SubscriptionRecord,
    contacts_to_delete,
    numbers_in_use,
    ordered,
    projection_copy,
    subscription_out,
)
from bloom.subscriptions.repository import SubscriptionsWork
from bloom.subscriptions.schemas import CreateWhatsappSubscription, SubscriptionOut
from bloom.users import service as users
from bloom.users.schemas import UserRecord

_log = get_logger(__name__)


# ---------------------------------------------------------------- reads


def projected(user: UserRecord) -> list[SubscriptionOut]:
    """The user's subscriptions from the copies on their document (no read)."""
    return ordered([SubscriptionRecord.model_validate(doc) for doc in user.profile.subscriptions.values()])


def from_records(user: UserRecord) -> list[SubscriptionOut]:
    """The user's subscriptions from the records themselves (what `projected` must equal)."""
    with SubscriptionsWork() as uow:
        return ordered(uow.subscriptions.of_user(user.id))


def expected_projection(uow: UnitOfWork, user: UserRecord) -> dict[str, dict[str, Any]]:
    """What the user's document must hold of this area: a copy of each of their subscription records."""
    work = SubscriptionsWork.join(uow)
    return {record.id: projection_copy(record) for record in work.subscriptions.of_user(user.id)}


# ---------------------------------------------------------------- subscribe and cancel


def subscribe_whatsapp(auth_uid: str, user: UserRecord, body: CreateWhatsappSubscription) -> SubscriptionOut:
    record_id = str(uuid.uuid4())
    _claim(user.id, record_id)
    try:
        respond_io.create_contact(body.subscription_info, user.name)
    except respond_io.RespondIoError as exc:
        _release(user.id, record_id)
        _log.error("respond.io contact not created", extra={"userId": user.id, "error": str(exc)})
        raise RESPOND_IO_UNAVAILABLE.error() from None
    except BaseException:
        _release(user.id, record_id)
        raise

    def activate(uow: SubscriptionsWork) -> SubscriptionRecord:
        claim = uow.claims.get(user.id)
        if claim is None or claim.subscription_record_id != record_id:
            raise ALREADY_EXISTS.error()  # our pending claim outlived its TTL and another request took over
        now = utcnow()
        record = SubscriptionRecord(
            id=record_id, user_id=user.id, subscription_info=body.subscription_info, created_at=now
        )
        uow.subscriptions.create(record_id, record)
        uow.claims.save(user.id, claim.model_copy(update={"state": "active"}))
        users.project_in(uow, auth_uid, "subscriptions", {record_id: projection_copy(record)})
        created = SubscriptionCreated(
            subscription_id=record_id,
            user_id=user.id,
            subscription_name=record.subscription_name,
            created_at=now.isoformat(),
        )
        uow.emit(SUBSCRIPTION_CREATED, created)
        return record

    record = SubscriptionsWork.run_in_transaction(activate)
    _log.info("whatsapp subscription created", extra={"userId": user.id, "subscriptionId": record_id})
    return subscription_out(record)


def _claim(user_id: str, record_id: str) -> None:
    def work(uow: SubscriptionsWork) -> None:
        now = utcnow()
        existing = uow.claims.get(user_id)
        if existing is not None and existing.blocks(now):
            raise ALREADY_EXISTS.error()
        claim = ClaimRecord(subscription_record_id=record_id, state="pending", claimed_at=now)
        uow.claims.save(user_id, claim, new=existing is None)

    try:
        SubscriptionsWork.run_in_transaction(work)
    except DuplicateDocument:  # a concurrent request created the claim first
        raise ALREADY_EXISTS.error() from None


def _release(user_id: str, record_id: str) -> None:
    """Remove our pending claim (and only ours)."""

    def work(uow: SubscriptionsWork) -> None:
        claim = uow.claims.get(user_id)
        if claim is not None and claim.subscription_record_id == record_id and claim.state == "pending":
            uow.claims.delete(user_id)

    SubscriptionsWork.run_in_transaction(work)


def cancel_whatsapp(auth_uid: str, user: UserRecord, subscription_id: str) -> SubscriptionOut:
    def work(uow: SubscriptionsWork) -> SubscriptionRecord:
        record = uow.subscriptions.get(subscription_id)
        if record is None or record.user_id != user.id:
            raise SUBSCRIPTION_NOT_FOUND.error()
        if not record.active:
            raise ALREADY_CANCELLED.error()
        cancelled = _cancel_in(uow, record, uow.claims.get(user.id))
        users.project_in(uow, auth_uid, "subscriptions", {record.id: projection_copy(cancelled)})
        return cancelled

    cancelled = SubscriptionsWork.run_in_transaction(work)
    _log.info("whatsapp subscription cancelled", extra={"userId": user.id, "subscriptionId": subscription_id})
    return subscription_out(cancelled)


def _cancel_in(uow: SubscriptionsWork, record: SubscriptionRecord, claim: ClaimRecord | None) -> SubscriptionRecord:
    """Cancel an active record, free the user's claim (read before any write) and announce it (the contact goes
    in the subscriber)."""
    now = utcnow()
    cancelled = record.model_copy(update={"cancelled_at": now})
    uow.subscriptions.save(record.id, cancelled)
    if claim is not None and claim.subscription_record_id == record.id:
        uow.claims.delete(record.user_id)
    payload = SubscriptionCancelled(
        subscription_id=record.id,
        user_id=record.user_id,
        subscription_name=record.subscription_name,
        cancelled_at=now.isoformat(),
    )
    uow.emit(SUBSCRIPTION_CANCELLED, payload)
    return cancelled


# ---------------------------------------------------------------- respond.io contacts and erasure


def delete_cancelled_contacts(user_id: str) -> int:
    """Delete the respond.io contact of each cancelled subscription of the user not yet deleted there, unless
    an active subscription of theirs uses the same number again. State-based: any number of deliveries, in any
    order, end the same. respond.io down → TransientEventError (retried); refusing → acknowledged."""
    with SubscriptionsWork() as uow:
        records = uow.subscriptions.of_user(user_id)
    in_use = numbers_in_use(records)
    done = 0
    for record in contacts_to_delete(records):
        if record.subscription_info in in_use or _delete_contact(record):
            _mark_contact_deleted(record.id)
            done += 1
    return done


def _delete_contact(record: SubscriptionRecord) -> bool:
    """Delete the record's contact at respond.io: True once deleted (or when there is no number), False when
    respond.io refuses (logged: repeating would not help); TransientEventError while it is down."""
    if record.subscription_info is None:
        return True
    try:
        respond_io.delete_contact(record.subscription_info)
    except respond_io.RespondIoUnavailable as exc:
        raise TransientEventError(f"respond.io: {exc}") from None
    except respond_io.RespondIoRefused as exc:
        _log.error("respond.io refused to delete a contact", extra={"subscriptionId": record.id, "error": str(exc)})
        return False
    return True


def _mark_contact_deleted(record_id: str) -> None:
    with SubscriptionsWork() as uow:
        uow.subscriptions.change(record_id, contact_deleted_at=utcnow())


def erase_user_subscriptions(user_id: str) -> int:
    """USER_DELETED: cancel what is active, delete every contact still at respond.io, then redact the numbers
    and remove the claim. The user document is gone already (no projection to keep). Idempotent; a respond.io
    outage raises (retried) and leaves the numbers in place until the contacts are gone."""

    with SubscriptionsWork() as uow:  # a query: outside the transaction, which reads the records by id
        ids = [record.id for record in uow.subscriptions.of_user(user_id)]

    def cancel_active(uow: SubscriptionsWork) -> None:
        records, claim = uow.subscriptions.get_many(ids), uow.claims.get(user_id)
        for record in records.values():
            if record.active:
                _cancel_in(uow, record, None)
        if claim is not None:
            uow.claims.delete(user_id)

    SubscriptionsWork.run_in_transaction(cancel_active)
    with SubscriptionsWork() as uow:
        records = uow.subscriptions.of_user(user_id)
    for record in contacts_to_delete(records):
        if _delete_contact(record):
            _mark_contact_deleted(record.id)
    redacted = 0
    with SubscriptionsWork() as uow:
        now = utcnow()
        for record in records:
            if record.subscription_info is not None:
                uow.subscriptions.change(record.id, subscription_info=None, redacted_at=now)
                redacted += 1
    _log.info("subscriptions erased", extra={"userId": user_id, "redacted": redacted})
    return redacted
