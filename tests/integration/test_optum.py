"""The Optum client against the local fake that checks what we send, its token cached in the real Firestore
emulator: one token request for concurrent calls, a refused token replaced once, failures classified, and the
request shapes Optum documents (JSON token request, nine-digit control numbers, YYYYMMDD dates)."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from bloom.claims import optum
from bloom.claims.models import MemberData
from bloom.claims.payloads import billing_provider, eligibility_request
from infra.stack_runner import RunningStack
from tests.support.optum_fake import COVERED_MEMBER, Optum, optum_env
from tests.support.settings import SettingsEnv

MEMBER = MemberData(
    member_id=COVERED_MEMBER,
    group_number="G1",
    first_name="johnOne",
    last_name="doeOne",
    date_of_birth="1880-01-02",
    relationship="self",
)


@pytest.fixture
def fake(stack: RunningStack, httpserver: HTTPServer, settings_env: SettingsEnv) -> Optum:
    for name, value in optum_env(httpserver.url_for("/")).items():
        settings_env.set(name, value)
    return Optum().install(httpserver)


def _request(n: int = 1) -> dict[str, Any]:
    return eligibility_request(f"{n:09d}", "UHC", MEMBER, billing_provider(), date(2030, 3, 4))


def test_concurrent_calls_make_one_token_request(fake: Optum) -> None:
    answers: list[dict[str, Any]] = []
    barrier = threading.Barrier(6)

    def check(n: int) -> None:
        barrier.wait()
        answers.append(optum.check_eligibility(_request(n)))

    threads = [threading.Thread(target=check, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 6 and all(answer["planStatus"][0]["statusCode"] == "1" for answer in answers)
    assert fake.count("/apip/auth") == 1
    assert fake.count("/medicalnetwork/eligibility") == 6
    optum.check_eligibility(_request(7))
    assert fake.count("/apip/auth") == 1  # still cached


def test_the_eligibility_request_has_optums_shape(fake: Optum) -> None:
    optum.check_eligibility(_request())
    [sent] = fake.bodies("/medicalnetwork/eligibility/v3/")
    assert sent == {
        "controlNumber": "000000001",
        "tradingPartnerServiceId": "UHC",
        "provider": {"organizationName": "Bloom Practice", "npi": "1760854442"},
        "subscriber": {
            "memberId": COVERED_MEMBER,
            "firstName": "johnOne",
            "lastName": "doeOne",
            "dateOfBirth": "18800102",
            "groupNumber": "G1",
        },
        "encounter": {"dateOfService": "20300304", "serviceTypeCodes": ["98"]},
    }


def test_a_refused_token_is_dropped_and_refreshed_once(fake: Optum) -> None:
    optum.check_eligibility(_request())
    fake.revoked.add("optum-token-1")
    optum.check_eligibility(_request(2))
    assert [(path.rsplit("/", 2)[-2], status) for _, path, status in fake.calls] == [
        ("v2", 200),  # token 1
        ("v3", 200),
        ("v3", 401),
        ("v2", 200),  # token 2
        ("v3", 200),
    ]


def test_a_fresh_token_refused_too_is_a_refusal(fake: Optum) -> None:
    optum.check_eligibility(_request())
    fake.revoked.update(f"optum-token-{n}" for n in range(1, 4))
    with pytest.raises(optum.OptumRefused, match="optum refused a fresh token"):
        optum.check_eligibility(_request(2))
    assert fake.count("/apip/auth") == 2


def test_failures_are_classified(fake: Optum, settings_env: SettingsEnv) -> None:
    fake.down = True
    with pytest.raises(optum.OptumUnavailable, match="HTTP 503"):
        optum.check_eligibility(_request())
    fake.down = False
    with pytest.raises(optum.OptumRefused, match="HTTP 400"):
        optum.check_eligibility({**_request(), "controlNumber": "12"})
    settings_env.set("OPTUM_CLIENT_SECRET", "wrong")
    optum.TOKEN.drop("optum-token-1")
    with pytest.raises(optum.OptumRefused, match="optum token: HTTP 401"):
        optum.check_eligibility(_request())
    settings_env.unset("OPTUM_CLIENT_SECRET")
    with pytest.raises(optum.OptumRefused, match="OPTUM_CLIENT_SECRET is not configured"):
        optum.check_eligibility(_request())


def test_the_usage_indicator_is_production_only_on_optums_production_gateway(
    fake: Optum, settings_env: SettingsEnv
) -> None:
    assert optum.usage_indicator() == "T"
    settings_env.set("OPTUM_API_URL", "https://sandbox-apigw.optum.com")
    assert optum.usage_indicator() == "T"
    settings_env.set("OPTUM_API_URL", "https://apigw.optum.com/")
    assert optum.usage_indicator() == "P"
