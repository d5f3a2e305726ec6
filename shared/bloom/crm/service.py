"""Chat and CRM profiles: state-based sync to Crisp and Mailchimp, erasure, the Mailchimp webhook, resync.

Every domain event that changes what a provider shows is relayed to CRM_PROFILE_STALE (`mark_stale`); each
provider's subscriber then calls `sync`, which reads the user's *current* state (`snapshot_of`, from the
records), builds the whole profile (`models`) and writes it. Any number of deliveries in any order converge:
each writes the state as it is, and a sync that finds the state changed while it was writing raises to run again.
A provider failing for now (no answer, 429, 5xx) raises TransientEventError (Pub/Sub retries, then dead-letters);
one refusing for good is logged without personal data and acknowledged.

Erasure (`erase`, on USER_DELETED) works from `crmContacts/{userId}.{provider}`, the addresses we wrote profiles
for (see `models`), since the user document is already gone; a provider down at that time is retried, and the
record goes once the provider has erased them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from bloom.content import progress
from bloom.core.errors import PermanentEventError, TransientEventError
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.crm import crisp, mailchimp
from bloom.crm.events import CRM_PROFILE_STALE
from bloom.crm.models import (
    AccessFacts,
    CourseFacts,
    CrmContactRecord,
    CrmSnapshot,
    contact_key,
    desired,
    fingerprint,
    permissions_withdrawn,
)
from bloom.crm.providers import ProviderRefused, ProviderUnavailable
from bloom.crm.repository import CrmWork
from bloom.crm.schemas import PROVIDERS, MailchimpWebhook, MailchimpWebhookResult, ProfileStale, Provider
from bloom.partners import views as partner_views
from bloom.partners.views import AccessFilter
from bloom.platform.store.unit_of_work import UnitOfWork
from bloom.users import service as users
from bloom.users.schemas import UserRecord

Outcome = Literal["gone", "nothing", "unchanged", "written", "refused"]
Change = Literal["nothing", "unchanged", "stale"]
_log = get_logger(__name__)


# ---------------------------------------------------------------- the user's current state


def snapshot_of(user_id: str) -> CrmSnapshot | None:
    """What the profiles are built from, read from the records now (None when the user is gone)."""
    found = _find(user_id)
    return None if found is None else _snapshot(found[1])


def _find(user_id: str) -> tuple[str, UserRecord] | None:
    """(auth uid, user) of a live user (a query: never inside a transaction, where it would lock the range)."""
    found = users.find_in(UnitOfWork(), user_id)
    return found if found is not None and found[1].deleted_at is None else None


def _snapshot(user: UserRecord) -> CrmSnapshot:
    uow = UnitOfWork()
    fetched = uow.fetch(partner_views.profile_refs(uow, user, admin=False) + progress.profile_refs(uow, user))
    view = partner_views.partner_views(uow, user, fetched, AccessFilter(active=True), active_admin_only=True)
    courses, _ = progress.profile_content(uow, user, fetched)
    return CrmSnapshot(
        user_id=user.id,
        email=user.email,
        name=user.name,
        sign_up_language=user.sign_up_language,
        contact_permission=user.contact_permission,
        service_emails_permission=user.service_emails_permission,
        created_at=user.created_at,
        accesses=tuple(
            AccessFacts(
                partner_name=access.partner.name,
                live_chat=access.feature_live_chat,
                therapy=access.feature_therapy,
                therapy_remaining=access.therapy_sessions_remaining,
                therapy_redeemed=access.therapy_sessions_redeemed,
            )
            for access in view.accesses
        ),
        courses=tuple(
            CourseFacts(
                name=course.name,
                completed=course.completed,
                sessions_started=tuple(s.name for s in course.sessions if not s.completed),
                sessions_completed=tuple(s.name for s in course.sessions if s.completed),
            )
            for course in courses
        ),
    )


def _contact(user_id: str, provider: Provider) -> CrmContactRecord:
    with CrmWork() as uow:
        found = uow.contacts.get(contact_key(user_id, provider))
    return found or CrmContactRecord(user_id=user_id, provider=provider)


# ---------------------------------------------------------------- relay


def mark_stale(user_id: str, cause: str, providers: Sequence[Provider] = (), *, force: bool = False) -> None:
    """Ask every provider's subscriber (or those named) to bring the user's profile up to date."""
    with CrmWork() as uow:
        uow.emit(CRM_PROFILE_STALE, ProfileStale(user_id=user_id, providers=list(providers), cause=cause, force=force))


def wants(event: ProfileStale, provider: Provider) -> bool:
    return not event.providers or provider in event.providers


# ---------------------------------------------------------------- sync


def _push(provider: Provider, payload: dict[str, Any]) -> None:
    if provider == "crisp":
        crisp.save_profile(payload)
    else:
        mailchimp.save_member(payload)


def _remove(provider: Provider, email: str) -> None:
    if provider == "crisp":
        crisp.delete_profile(email)
    else:
        mailchimp.delete_member(email)


def sync(provider: Provider, user_id: str, *, force: bool = False) -> Outcome:
    """Write the whole profile the user's current state gives at `provider` (see the module docstring)."""
    snapshot = snapshot_of(user_id)
    if snapshot is None:
        return "gone"
    state = _contact(user_id, provider)
    payload = desired(provider, snapshot, holds_profile=bool(state.emails))
    if payload is None:
        return "nothing"
    written = fingerprint(payload)
    if not force and state.fingerprint == written and state.emails == [snapshot.email]:
        return "unchanged"
    if snapshot.email not in state.emails:  # an erasure must find the address before a profile exists for it
        found = _find(user_id)
        if found is None or not _record_address(provider, found[0], user_id, snapshot.email):
            return "gone"
    try:
        _push(provider, payload)
        for old in state.emails:
            if old != snapshot.email:
                _remove(provider, old)  # the user changed their email: the old address's profile goes
    except ProviderUnavailable as exc:
        raise TransientEventError(str(exc)) from None
    except ProviderRefused as exc:
        _log.error("crm provider refused a profile", extra={"provider": provider, "userId": user_id, "error": str(exc)})
        return "refused"
    _record_synced(provider, user_id, snapshot.email, written)
    after = snapshot_of(user_id)
    if after is None:  # erased while we were writing: take it out again
        erase(provider, user_id)
        return "gone"
    if fingerprint(desired(provider, after, holds_profile=True) or {}) != written:
        raise TransientEventError(f"{provider}: the user changed during the sync; writing the newer state")
    _log.info("crm profile written", extra={"provider": provider, "userId": user_id})
    return "written"


def _record_address(provider: Provider, auth_uid: str, user_id: str, email: str) -> bool:
    """Remember `email` as holding a profile at `provider`, if the user still exists (their document read in the
    same transaction: an erasure either finds the address here or this finds no user)."""

    key = contact_key(user_id, provider)

    def work(uow: CrmWork) -> bool:
        if users.get_in(uow, auth_uid) is None:
            return False
        contact = uow.contacts.get(key) or CrmContactRecord(user_id=user_id, provider=provider)
        if email not in contact.emails:
            contact.emails.append(email)
            uow.contacts.save(key, contact)
        return True

    return CrmWork.run_in_transaction(work)


def _record_synced(provider: Provider, user_id: str, email: str, written: str) -> None:
    """What the provider holds now. A plain write, no transaction: concurrent syncs of one user each check the
    state again after writing (`sync`), and one that finds it changed (or the user gone) runs again (or erases)."""
    record = CrmContactRecord(
        user_id=user_id, provider=provider, emails=[email], fingerprint=written, synced_at=utcnow()
    )
    with CrmWork() as uow:
        uow.contacts.save(contact_key(user_id, provider), record)


# ---------------------------------------------------------------- erasure


def erase(provider: Provider, user_id: str) -> int:
    """Delete every profile we wrote at `provider` for the user, then the provider's contact record.
    Idempotent; a provider down raises TransientEventError and keeps the addresses for the retry."""
    emails = list(_contact(user_id, provider).emails)
    if not emails:
        return 0
    for email in emails:
        try:
            _remove(provider, email)
        except ProviderUnavailable as exc:
            raise TransientEventError(str(exc)) from None
        except ProviderRefused as exc:  # it will never succeed: logged, and the address is forgotten here
            _log.error(
                "crm provider refused an erasure", extra={"provider": provider, "userId": user_id, "error": str(exc)}
            )

    key = contact_key(user_id, provider)

    def forget(uow: CrmWork) -> None:
        current = uow.contacts.get(key)
        if current is None:
            return
        left = [email for email in current.emails if email not in emails]
        if left:  # recorded by a sync meanwhile (it erases them itself when it finds the user gone)
            uow.contacts.save(key, current.model_copy(update={"emails": left, "fingerprint": None}))
        else:
            uow.contacts.delete(key)

    CrmWork.run_in_transaction(forget)
    _log.info("crm profiles erased", extra={"provider": provider, "userId": user_id, "count": len(emails)})
    return len(emails)


# ---------------------------------------------------------------- Mailchimp's webhook


def apply_mailchimp_webhook(delivery: MailchimpWebhook) -> MailchimpWebhookResult:
    """`unsubscribe` → contactPermission false; `cleaned` → both permissions false; other types, another
    audience or an unknown address → nothing changed. The change is a normal profile update (USER_UPDATED), so
    the Mailchimp member follows through the sync."""
    withdrawn = permissions_withdrawn(delivery.type)
    audience = get_settings().mailchimp_audience_id
    if withdrawn is None or not delivery.email or (delivery.list_id and audience and delivery.list_id != audience):
        _log.info("mailchimp webhook: nothing to change", extra={"type": delivery.type})
        return MailchimpWebhookResult(applied=False)
    found = users.find_by_email(delivery.email)
    if found is None:
        _log.info("mailchimp webhook: no such user", extra={"type": delivery.type})
        return MailchimpWebhookResult(applied=False)
    auth_uid, user = found
    users.withdraw_permissions(auth_uid, *withdrawn)
    _log.info("mailchimp webhook: permissions updated", extra={"type": delivery.type, "userId": user.id})
    return MailchimpWebhookResult(applied=True)


# ---------------------------------------------------------------- recovery (`infra.cli crm resync`)


def changes_for(user: UserRecord, providers: Sequence[Provider]) -> dict[Provider, Change]:
    """Per provider, whether what we last wrote differs from what the user's state gives now."""
    snapshot = _snapshot(user)
    result: dict[Provider, Change] = {}
    for provider in providers:
        state = _contact(user.id, provider)
        payload = desired(provider, snapshot, holds_profile=bool(state.emails))
        if payload is None:
            result[provider] = "nothing"
        elif state.fingerprint == fingerprint(payload) and state.emails == [snapshot.email]:
            result[provider] = "unchanged"
        else:
            result[provider] = "stale"
    return result


def resync(
    candidates: Iterable[UserRecord],
    providers: Sequence[Provider] = PROVIDERS,
    *,
    dry_run: bool,
    force: bool = False,
    batch: int = 200,
) -> Iterator[tuple[UserRecord, list[Provider]]]:
    """For each user, the providers whose profile is stale (with `force`, every provider that should hold one);
    unless `dry_run`, a sync is queued for them, `batch` users per commit (the deployed subscribers write, with
    their retries). Stopping and running it again redoes only what is still stale."""
    pending: list[ProfileStale] = []
    for user in candidates:
        changes = changes_for(user, providers)
        stale = [p for p, change in changes.items() if change == "stale" or (force and change == "unchanged")]
        if stale and not dry_run:
            pending.append(ProfileStale(user_id=user.id, providers=list(stale), cause="resync", force=force))
        if len(pending) >= batch:
            _queue(pending)
            pending = []
        yield user, stale
    if pending:
        _queue(pending)


def _queue(notices: list[ProfileStale]) -> None:
    with CrmWork() as uow:
        for notice in notices:
            uow.emit(CRM_PROFILE_STALE, notice)


def every_user(page_size: int = 200) -> Iterator[UserRecord]:
    """Every live user, in document order, a page at a time."""
    for page in users.search_pages("", None, page_size=page_size, max_docs=sys.maxsize):
        for _, user in page:
            if user.deleted_at is None:
                yield user


def user_by_id(user_id: str) -> UserRecord | None:
    found = _find(user_id)
    return None if found is None else found[1]


def send_mailchimp_event(user_id: str, name: str) -> bool:
    """Record the Mailchimp event `name` on the user's member (its journey emails them: the transactional path of
    the live chat's unread-reply email). A member Mailchimp no longer has (archived or deleted there) is written
    again from the user's profile and the event sent once more, as the original backend's recovery does. False
    when the user is gone."""
    user = user_by_id(user_id)
    if user is None or user.deleted_at is not None:
        return False
    try:
        recorded = mailchimp.send_event(user.email, name)
        if not recorded and sync("mailchimp", user_id, force=True) == "written":
            recorded = mailchimp.send_event(user.email, name)
    except ProviderUnavailable as exc:
        raise TransientEventError(str(exc)) from None
    except ProviderRefused as exc:
        raise PermanentEventError(str(exc)) from None
    if not recorded:
        raise PermanentEventError("mailchimp member event: no member for the user")
    return True
