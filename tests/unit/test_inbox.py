"""In-app notices are fixed wording and ids: nothing a caller writes reaches them."""

from __future__ import annotations

from datetime import timedelta

from bloom.notifications import inbox


def test_reminders_say_when_and_link_the_appointment_only() -> None:
    day = inbox.appointment_reminder("ap-1", timedelta(hours=24))
    hour = inbox.appointment_reminder("ap-1", timedelta(hours=1))
    assert (day.kind, day.title, day.link) == ("appointment_reminder", "Appointment reminder", "/appointments/ap-1")
    assert (day.body, hour.body) == (
        "Your therapy session starts in 24 hours.",
        "Your therapy session starts in 1 hour.",
    )


def test_an_offer_links_the_entry_and_its_hold() -> None:
    offer = inbox.waitlist_offer("entry-1", "hold-1", 10)
    assert (offer.kind, offer.title) == ("waitlist_offer", "A session time is free")
    assert offer.link == "/waitlist/entry-1?holdId=hold-1" and "10 minutes" in offer.body
