"""Google Meet's client against local fakes of Google's token endpoint and Meet's API: the service account's own
credentials (a key file here, default credentials when deployed) are exchanged for a token with the Meet scope
through a signed JWT grant, and the space is created restricted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer

from bloom.telehealth import meet as meet_client
from bloom.telehealth.meet import MeetSpaces
from bloom.telehealth.providers import ProviderRefused
from infra.stack_runner import RunningStack
from tests.support.settings import SettingsEnv
from tests.support.telehealth import Meet, telehealth_env

START = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def meet(stack: RunningStack, httpserver: HTTPServer, settings_env: SettingsEnv) -> Iterator[Meet]:
    for name, value in telehealth_env(httpserver.url_for("/")).items():
        settings_env.set(name, value)
    meet_client._credentials = None  # as in a process starting with these settings
    yield Meet().install(httpserver)
    meet_client._credentials = None


def test_a_restricted_space_is_created_with_the_service_accounts_token(meet: Meet) -> None:
    first = MeetSpaces().create("appointment-1", START, START + timedelta(minutes=50))
    second = MeetSpaces().create("appointment-2", START, START + timedelta(minutes=50))
    assert first.meeting_id in meet.spaces and second.meeting_id in meet.spaces
    assert first.join_url == meet.spaces[first.meeting_id]["meetingUri"]
    assert first.meeting_id != second.meeting_id
    # One token, accepted by the fake's JWT check (issuer, audience, signature, scope), kept by the instance.
    assert [(path, status) for _, path, status in meet.calls] == [
        ("/google-oauth/token", 200),
        ("/meet/v2/spaces", 200),
        ("/meet/v2/spaces", 200),
    ]
    assert MeetSpaces().find("appointment-1") is None  # the API lists no spaces


def test_a_refused_token_is_renewed_once(meet: Meet) -> None:
    MeetSpaces().create("appointment-1", START, START)
    meet.tokens.clear()  # every token issued so far is refused now
    MeetSpaces().create("appointment-2", START, START)
    assert [(path, status) for _, path, status in meet.calls[-3:]] == [
        ("/meet/v2/spaces", 401),
        ("/google-oauth/token", 200),
        ("/meet/v2/spaces", 200),
    ]


def test_credentials_that_cannot_be_read_are_a_refusal(meet: Meet, settings_env: SettingsEnv) -> None:
    settings_env.set("GOOGLE_MEET_CREDENTIALS_FILE", "/nonexistent/key.json")
    with pytest.raises(ProviderRefused, match="not configured or unusable"):
        MeetSpaces().create("appointment-1", START, START)
    assert meet.calls == []
