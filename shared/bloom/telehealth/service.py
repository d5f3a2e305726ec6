"""Telehealth's use cases: an appointment's meeting made, moved and removed as scheduling's events arrive; Zoom's
webhook (URL validation, attendance); and the job that settles appointments no meeting callback settled.

Meetings are made outside the booking's transaction, by subscribers, so a provider's failure never undoes a
booking: `ProviderUnavailable` propagates (Pub/Sub redelivers), `ProviderRefused` is permanent (acknowledged).
The meeting's ids stay in `meetings/{appointmentId}`; the appointment gets `meeting {provider, joinUrl}` through
scheduling's `attach_meeting`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from bloom.core.errors import NotFound
from bloom.core.logging import get_logger
from bloom.core.settings import get_settings
from bloom.core.time import utcnow
from bloom.scheduling import service as scheduling
from bloom.scheduling.schemas import Appointment, Meeting
from bloom.telehealth.models import MeetingRecord, MeetingStatus, party_of
from bloom.telehealth.providers import (
    CreatedMeeting,
    MeetingProvider,
    ProviderName,
    ProviderRefused,
    ProviderUnavailable,
)
from bloom.telehealth.repository import TelehealthWork
from bloom.telehealth.schemas import MEETING_ENDED, PARTICIPANT_JOINED, URL_VALIDATION, ZoomEvent, ZoomUrlValidation

SETTLE_AFTER = timedelta(hours=1)
WEBHOOK_SECRET = "ZOOM_WEBHOOK_SECRET_TOKEN"  # noqa: S105 - the name of the secret
_log = get_logger(__name__)


def provider_named(name: ProviderName) -> MeetingProvider:
    """The provider's client (each imports what only it uses when first asked for)."""
    if name == "zoom":
        from bloom.telehealth.zoom import ZoomMeetings

        return ZoomMeetings()
    from bloom.telehealth.meet import MeetSpaces

    return MeetSpaces()


def _appointment(appointment_id: str) -> Appointment | None:
    try:
        return scheduling.get_appointment(appointment_id)
    except NotFound:
        return None


# ---------------------------------------------------------------- meetings follow appointments


def create_meeting_for(appointment_id: str) -> None:
    """Give a booked appointment its meeting, once: intent is recorded before the provider is asked, so a retried
    delivery after an answer that was lost looks the meeting up (Zoom) instead of making a second one."""
    appointment = _appointment(appointment_id)
    if appointment is None or appointment.status != "booked":
        return
    wanted = scheduling.therapist_meeting_provider(appointment.therapist_id)
    if wanted == "none":
        return

    # the record an earlier attempt left, or None after recording this attempt's intent
    earlier = TelehealthWork.run_in_transaction(lambda uow: _record_or_start(uow, appointment_id, wanted, "creating"))
    if earlier is not None and earlier.status in ("cancelled", "deleted"):
        return
    if earlier is not None and earlier.status == "created" and earlier.provider and earlier.join_url:
        scheduling.attach_meeting(appointment_id, Meeting(provider=earlier.provider, join_url=earlier.join_url))
        return
    name: ProviderName = earlier.provider if earlier is not None and earlier.provider else wanted
    provider = provider_named(name)
    try:
        meeting = provider.find(appointment_id) if earlier is not None else None
        if meeting is not None:
            provider.move(meeting.meeting_id, appointment.start, appointment.end)  # it may predate a reschedule
        else:
            meeting = provider.create(appointment_id, appointment.start, appointment.end)
    except ProviderRefused:
        _forget_intent(appointment_id)  # refused: nothing was made, and nothing waits on a creation that will not come
        raise
    if not _record_created(appointment_id, meeting):
        provider.delete(meeting.meeting_id)  # cancelled while it was being made
        _finish_deletion(appointment_id)
        return
    scheduling.attach_meeting(appointment_id, Meeting(provider=name, join_url=meeting.join_url))
    _log.info("meeting created for appointment", extra={"appointment_id": appointment_id, "provider": name})


def _record_or_start(
    uow: TelehealthWork, appointment_id: str, provider: ProviderName | None, status: MeetingStatus
) -> MeetingRecord | None:
    """The appointment's meeting record, or None after starting one with `status`."""
    record = uow.meetings.get(appointment_id)
    if record is None:
        started = MeetingRecord(appointment_id=appointment_id, provider=provider, status=status, updated_at=utcnow())
        uow.meetings.create(appointment_id, started)
    return record


def _forget_intent(appointment_id: str) -> None:
    def work(uow: TelehealthWork) -> None:
        record = uow.meetings.get(appointment_id)
        if record is not None and record.status == "creating":
            uow.meetings.delete(appointment_id)

    TelehealthWork.run_in_transaction(work)


def _record_created(appointment_id: str, meeting: CreatedMeeting) -> bool:
    """Record the provider's answer; False when the appointment was cancelled meanwhile."""

    def work(uow: TelehealthWork) -> bool:
        record = uow.meetings.get(appointment_id)
        if record is None or record.status in ("cancelled", "deleted"):
            return False
        uow.meetings.change(
            appointment_id,
            status="created",
            meeting_id=meeting.meeting_id,
            join_url=meeting.join_url,
            updated_at=utcnow(),
        )
        return True

    return TelehealthWork.run_in_transaction(work)


def move_meeting_for(appointment_id: str) -> None:
    """Give the meeting the appointment's time as it is now (so deliveries out of order end at the latest)."""
    with TelehealthWork() as uow:
        record = uow.meetings.get(appointment_id)
    if record is None or record.status in ("cancelled", "deleted"):
        return  # none yet: the creation reads the appointment's time when it runs
    if record.status == "creating" or record.meeting_id is None or record.provider is None:
        raise ProviderUnavailable("the meeting is still being created")  # redelivered once it is
    appointment = _appointment(appointment_id)
    if appointment is None or appointment.status != "booked":
        return
    provider_named(record.provider).move(record.meeting_id, appointment.start, appointment.end)


def delete_meeting_for(appointment_id: str) -> None:
    """Remove a cancelled appointment's meeting. One still being made is marked first, so its maker removes it
    too; with no record yet, a tombstone keeps a late booking delivery from making one."""

    def mark(uow: TelehealthWork) -> MeetingRecord | None:
        record = _record_or_start(uow, appointment_id, None, "deleted")
        if record is not None and record.status in ("creating", "created"):
            uow.meetings.change(appointment_id, status="cancelled", updated_at=utcnow())
        return record

    record = TelehealthWork.run_in_transaction(mark)
    if record is None or record.status == "deleted" or record.provider is None:
        return
    provider = provider_named(record.provider)
    meeting_id = record.meeting_id
    if meeting_id is None:  # its maker may have been answered without recording it: look it up
        found = provider.find(appointment_id)
        meeting_id = found.meeting_id if found else None
    if meeting_id is not None:
        provider.delete(meeting_id)
    _finish_deletion(appointment_id)
    _log.info("meeting removed for cancelled appointment", extra={"appointment_id": appointment_id})


def _finish_deletion(appointment_id: str) -> None:
    with TelehealthWork() as uow:
        uow.meetings.change(appointment_id, status="deleted", join_url=None, updated_at=utcnow())


# ---------------------------------------------------------------- Zoom's webhook


def zoom_url_validation(event: ZoomEvent) -> ZoomUrlValidation | None:
    """Zoom's URL validation (its delivery already verified): the plain token and its hex HMAC-SHA256 with the
    webhook's secret token. None for every other event."""
    plain = event.payload.plain_token
    secret = get_settings().secret(WEBHOOK_SECRET)
    if event.event != URL_VALIDATION or plain is None or secret is None:
        return None
    encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
    return ZoomUrlValidation(plain_token=plain, encrypted_token=encrypted)


def record_zoom_event(event: ZoomEvent, *, now: datetime | None = None) -> None:
    """A participant joining marks their party seen; the meeting ending settles the appointment from what was seen.
    Events of meetings we did not make, and other events, are ignored. Repeating an event changes nothing."""
    found = event.payload.object
    if event.event not in (PARTICIPANT_JOINED, MEETING_ENDED) or found is None or found.id is None:
        return
    meeting_id = str(found.id)

    def work(uow: TelehealthWork) -> MeetingRecord | None:
        record = uow.meetings.by_meeting_id(meeting_id)
        if record is None or record.provider != "zoom":
            return None
        seen = record
        if event.event == PARTICIPANT_JOINED and found.participant is not None:
            party = party_of(found.participant.id, found.host_id)
            seen = record.model_copy(update={f"{party}_seen": True})
        elif event.event == MEETING_ENDED and record.ended_at is None:
            seen = record.model_copy(update={"ended_at": now or utcnow()})
        if seen != record:
            uow.meetings.change(
                record.appointment_id,
                therapist_seen=seen.therapist_seen,
                patient_seen=seen.patient_seen,
                ended_at=seen.ended_at,
                updated_at=utcnow(),
            )
        return seen

    record = TelehealthWork.run_in_transaction(work)
    if record is None:
        _log.info("zoom event for a meeting Bloom did not make; ignored", extra={"zoom_event": event.event})
        return
    if event.event == MEETING_ENDED:
        scheduling.settle_attendance(
            record.appointment_id, therapist_seen=record.therapist_seen, patient_seen=record.patient_seen
        )


# ---------------------------------------------------------------- the settle job


def settle_ended_appointments(*, now: datetime | None = None) -> int:
    """Settle booked appointments that ended an hour ago or more and that no meeting callback settled: from the
    attendance Zoom reported when there is some; without any evidence (Meet, no meeting, or no Zoom event) the
    session is presumed held, `completed`: a no-show can cost the patient a fee or a session, and is never
    inferred from our own silence. Returns how many were settled."""
    moment = now or utcnow()
    due = scheduling.appointments_to_settle(moment - SETTLE_AFTER)
    with TelehealthWork() as uow:
        records = uow.meetings.get_many([appointment.id for appointment in due])
    for appointment in due:
        record = records.get(appointment.id)
        if record is not None and record.has_attendance:
            seen = (record.therapist_seen, record.patient_seen)
        else:
            seen = (True, True)  # presumed held: see above
        scheduling.settle_attendance(appointment.id, therapist_seen=seen[0], patient_seen=seen[1])
    if due:
        _log.info("appointments settled without a meeting callback", extra={"settled": len(due)})
    return len(due)
