"""What Crisp and Mailchimp get for each kind of user: pure functions of the user's state."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bloom.core.errors import BloomError
from bloom.crm.models import (
    AccessFacts,
    CourseFacts,
    CrmSnapshot,
    crisp_profile,
    desired,
    fingerprint,
    mailchimp_member,
    may_chat,
    permissions_withdrawn,
    subscriber_hash,
)
from bloom.platform.request_body import parse_form_body
from bloom.platform.webhook_verification import QueryToken
from tests.support.settings import SettingsEnv

PUBLIC = CrmSnapshot(
    user_id="u-1",
    email="sam@example.com",
    name="Sam",
    sign_up_language="en",
    contact_permission=True,
    service_emails_permission=True,
    created_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
    accesses=(),
    courses=(),
)
BUMBLE_CHAT = AccessFacts("Bumble", live_chat=True, therapy=True, therapy_remaining=4, therapy_redeemed=2)
BADOO_NO_CHAT = AccessFacts("Badoo", live_chat=False, therapy=False, therapy_remaining=0, therapy_redeemed=0)
BADOO_THERAPY = AccessFacts("Badoo", live_chat=False, therapy=True, therapy_remaining=1, therapy_redeemed=5)


def test_a_public_user_may_chat_in_the_public_segment() -> None:
    profile = crisp_profile(PUBLIC)
    assert profile["email"] == "sam@example.com" and profile["person"] == {"nickname": "Sam"}
    assert profile["segments"] == ["public"]
    assert profile["data"] == {
        "signup_language": "en",
        "partners": "",
        "feature_live_chat": True,
        "feature_therapy": False,
        "therapy_sessions_remaining": 0,
        "therapy_sessions_redeemed": 0,
        "marketing_permission": True,
        "service_emails_permission": True,
        "courses_started": 0,
        "courses_completed": 0,
    }
    member = mailchimp_member(PUBLIC)
    assert (member["email_address"], member["status"], member["status_if_new"]) == (
        "sam@example.com",
        "subscribed",
        "subscribed",
    )
    assert member["merge_fields"]["SIGNUPD"] == "2026-03-04"
    assert member["merge_fields"]["PARTNERS"] == "" and member["merge_fields"]["FEATCHAT"] == "true"


def test_a_partner_user_with_chat_is_in_the_partners_segment() -> None:
    user = replace(PUBLIC, accesses=(BUMBLE_CHAT, BADOO_NO_CHAT))
    assert may_chat(user)
    profile = crisp_profile(user)
    assert profile["segments"] == ["badoo", "bumble"]
    assert profile["data"]["partners"] == "Badoo; Bumble"
    assert profile["data"]["feature_live_chat"] is True and profile["data"]["feature_therapy"] is True


def test_a_partner_user_without_chat_gets_no_crisp_profile_unless_they_had_one() -> None:
    user = replace(PUBLIC, accesses=(BADOO_NO_CHAT,))
    assert not may_chat(user)
    assert desired("crisp", user, holds_profile=False) is None
    kept = desired("crisp", user, holds_profile=True)  # lost chat rights: history kept, segments and data change
    assert kept is not None and kept["segments"] == ["badoo"] and kept["data"]["feature_live_chat"] is False
    assert desired("mailchimp", user, holds_profile=False) == mailchimp_member(user)  # every user is a member


def test_therapy_counters_add_up_over_active_accesses() -> None:
    user = replace(PUBLIC, accesses=(BUMBLE_CHAT, BADOO_THERAPY))
    data = crisp_profile(user)["data"]
    assert (data["therapy_sessions_remaining"], data["therapy_sessions_redeemed"]) == (5, 7)
    fields = mailchimp_member(user)["merge_fields"]
    assert (fields["THERREMAIN"], fields["THERREDEEM"], fields["FEATTHER"]) == (5, 7, "true")


def test_progress_shows_per_course_and_in_totals() -> None:
    user = replace(
        PUBLIC,
        courses=(
            CourseFacts("Healing from trauma", completed=False, sessions_started=("One",), sessions_completed=("Two",)),
            CourseFacts("Dating boundaries", completed=True, sessions_started=(), sessions_completed=("A", "B")),
        ),
    )
    data = crisp_profile(user)["data"]
    assert (data["courses_started"], data["courses_completed"]) == (2, 1)
    assert data["course_hft_status"] == "Started"
    assert (data["course_hft_sessions_started"], data["course_hft_sessions_completed"]) == ("One", "Two")
    assert data["course_db_status"] == "Completed" and data["course_db_sessions_completed"] == "A; B"
    fields = mailchimp_member(user)["merge_fields"]
    assert (fields["CSTARTED"], fields["CCOMPLETED"]) == (2, 1)


def test_mailchimp_subscribes_only_with_consent() -> None:
    assert mailchimp_member(replace(PUBLIC, contact_permission=False))["status"] == "unsubscribed"


def test_the_member_id_is_the_md5_of_the_lowercased_email() -> None:
    assert subscriber_hash("Sam@Example.COM") == hashlib.md5(b"sam@example.com").hexdigest()


def test_the_same_state_gives_the_same_fingerprint_whatever_the_key_order() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint(crisp_profile(PUBLIC)) != fingerprint(crisp_profile(replace(PUBLIC, name="Alex")))


def test_mailchimp_webhook_types() -> None:
    assert permissions_withdrawn("unsubscribe") == (True, False)
    assert permissions_withdrawn("cleaned") == (True, True)
    assert permissions_withdrawn("upemail") is None and permissions_withdrawn("profile") is None


def test_form_bodies_are_flat_maps() -> None:
    parsed = parse_form_body(b"type=unsubscribe&data%5Bemail%5D=sam%40example.com&data[list_id]=a1&type=again")
    assert parsed == {"type": "unsubscribe", "data[email]": "sam@example.com", "data[list_id]": "a1"}
    with pytest.raises(BloomError):
        parse_form_body(b"type=\xff")


def test_a_query_token_is_compared_with_its_secret(settings_env: SettingsEnv) -> None:
    settings_env.set("MAILCHIMP_WEBHOOK_SECRET", "right-secret")
    token = QueryToken(header="secret", credential="MAILCHIMP_WEBHOOK_SECRET")
    token.verify(b"", {}, {"secret": "right-secret"})
    for query in ({}, {"secret": ""}, {"secret": "wrong"}, {"other": "right-secret"}):
        with pytest.raises(BloomError) as raised:
            token.verify(b"", {"secret": "right-secret"}, query)
        assert raised.value.status_code == 401
