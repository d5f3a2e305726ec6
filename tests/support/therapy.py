"""Therapy bookings as Zapier and Simplybook send them, and the Slack channel they are announced on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pytest_httpserver import HTTPServer

from infra.stack_runner import RunningStack
from tests.support.fakes import fake_service_env

FAKE = fake_service_env("http://fake", "http://fake-crm")
ZAPIER = {"Authorization": f"Basic {FAKE['ZAPIER_TOKEN']}"}


FUTURE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)


def zapier_body(action: str, user_id: str | None, code: str = "zap1", start: datetime = FUTURE) -> dict[str, Any]:
    return {
        "action": action,
        "client_email": "client@example.com",
        "user_id": user_id,
        "client_timezone": "Europe/London",
        "booking_code": code,
        "service_name": "Therapy session",
        "service_provider_name": "Dr Example",
        "service_provider_email": "therapist@example.com",
        "start_date_time": start.isoformat(),
        "end_date_time": (start + timedelta(hours=1)).isoformat(),
    }


def zapier(stack: RunningStack, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        f"{stack.api}/webhooks/simplybook-zapier", json=body, headers=ZAPIER if headers is None else headers, timeout=30
    )


def serve_slack(httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(r"^/slack/.*"), method="POST").respond_with_data("ok")


def api_booking(
    user_id: str | None, booking_id: int = 501, code: str = "sb501", start: datetime = FUTURE
) -> dict[str, Any]:
    fields = [{"field_name": "user_id", "value": user_id}] if user_id else []
    return {
        "id": booking_id,
        "code": code,
        "start_datetime": start.strftime("%Y-%m-%d %H:%M:%S"),
        "end_datetime": (start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "service": {"name": "Therapy session"},
        "provider": {"name": "Dr Example", "email": "therapist@example.com"},
        "client": {"email": "client@example.com"},
        "additional_fields": fields,
    }
