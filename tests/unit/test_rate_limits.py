"""Rate limits as routes declare them: the grammar, and what the registry and OpenAPI make of them."""

from __future__ import annotations

import re

import pytest

from bloom.api import http_function
from bloom.platform.rate_limits import RateLimit
from bloom.platform.registry import Role
from infra.cli import main
from infra.manifest import load_everything
from infra.openapi import build_openapi


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/minute per ip", RateLimit(10, 60, "ip")),
        ("1/second per user", RateLimit(1, 1, "user")),
        ("500/hour per ip", RateLimit(500, 3600, "ip")),
        ("3/day per user", RateLimit(3, 86400, "user")),
    ],
)
def test_a_limit_is_parsed_and_printed_back(text: str, expected: RateLimit) -> None:
    assert RateLimit.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0/minute per ip",
        "-1/minute per ip",
        "10/minutes per ip",
        "10/week per ip",
        "10/minute per email",
        "10/minute",
        "10 per minute per ip",
        "10/minute  per ip",
        " 10/minute per ip",
        "10/minute per ip\n",
        "ten/minute per ip",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape("is not '<N>/<second|minute|hour|day> per <ip|user>'")):
        RateLimit.parse(text)


def test_a_bad_declaration_fails_at_decoration_time() -> None:
    with pytest.raises(ValueError, match="is not"):
        http_function("GET", "/api/v1/bad-limit", role=Role.USER, response=None, summary="-", rate_limit="10/min")
    with pytest.raises(ValueError, match="a limit per user needs a role that signs the caller in"):
        http_function(
            "GET", "/api/v1/bad-limit", role=Role.PUBLIC, response=None, summary="-", rate_limit="1/minute per user"
        )


def test_the_limits_are_declared_on_their_routes() -> None:
    declared = {spec.name: tuple(map(str, spec.rate_limits)) for spec in load_everything().values() if spec.rate_limits}
    assert declared == {
        "create_user": ("10/minute per ip",),
        "create_partner_admin_user": ("5/minute per user",),
        "validate_partner_access_code": ("20/minute per ip",),
        "assign_partner_access": ("10/minute per user", "20/minute per ip"),
        "cancel_therapy_session": ("10/minute per user",),
        "create_upload": ("30/hour per user",),
        "get_upload_url": ("120/minute per user",),
        "passkey_register_options": ("20/hour per user",),
        "passkey_register_verify": ("20/hour per user",),
        "passkey_login_options": ("30/minute per ip",),
        "passkey_login_verify": ("30/minute per ip",),
        "create_therapist": ("20/minute per user",),
        "create_assignment": ("30/minute per user",),
        "create_whatsapp_subscription": ("10/minute per user",),
        "open_thread": ("20/minute per user",),
        "send_message": ("30/minute per user",),
        "edit_message": ("20/minute per user",),
        "delete_message": ("30/minute per user",),
        "add_reaction": ("60/minute per user",),
        "remove_reaction": ("60/minute per user",),
        "mark_read": ("120/minute per user",),
        "request_export": ("5/hour per user",),
        "create_payment_intent": ("30/minute per user",),
        "create_credentialing_source": ("30/hour per user",),
        "reingest_credentialing_source": ("30/hour per user",),
        "get_credentialing_requirements": ("60/minute per user",),
        "create_ticket": ("30/minute per user",),
        "add_ticket_comment": ("30/minute per user",),
        "search_practice": ("60/minute per user",),
        "create_credentialing_application": ("20/minute per user",),
        "send_chat_attachment": ("60/hour per user",),
        "get_chat_attachment": ("300/minute per ip",),
    }


def test_openapi_documents_429_with_retry_after_exactly_where_a_limit_is_declared() -> None:
    specs = load_everything()
    operations = {
        operation["operationId"]: operation
        for methods in build_openapi(specs)["paths"].values()
        for operation in methods.values()
    }
    limited = {name for name, spec in specs.items() if spec.kind == "http" and spec.rate_limits}
    assert {name for name, operation in operations.items() if "429" in operation["responses"]} == limited
    assign = operations["assign_partner_access"]["responses"]["429"]
    assert assign["description"] == "Rate limited: 10/minute per user, 20/minute per ip"
    assert set(assign["headers"]) == {"Retry-After"}


def test_the_functions_command_shows_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    main(["functions"])
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("assign_partner_access ")]
    assert line.endswith("POST /api/v1/partner-access/assign (user) [10/minute per user, 20/minute per ip]")
