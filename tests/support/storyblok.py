"""Storyblok as tests see it: signed webhook deliveries, the CDN's story payloads, published courses and sessions."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests
from pytest_httpserver import HTTPServer

from infra.stack_runner import RunningStack

SECRET = "test-storyblok-secret"
TOKEN = "test-storyblok-token"


CDN_QUERY = {"token": TOKEN, "version": "published"}
COURSE_UUID = "c0ffee00-0000-4000-8000-000000000001"


SESSION_UUID = "5e55100a-0000-4000-8000-000000000001"


def story_payload(
    story_id: int, uuid: str, component: str, name: str, full_slug: str, **content: Any
) -> dict[str, Any]:
    """A Content Delivery API response for one story, shaped like the real one."""
    return {
        "story": {
            "name": name,
            "created_at": "2024-01-01T10:00:00.000Z",
            "published_at": "2024-01-02T10:00:00.000Z",
            "updated_at": "2024-01-02T10:00:00.000Z",
            "id": story_id,
            "uuid": uuid,
            "content": {"_uid": f"uid-{story_id}", "component": component, **content},
            "slug": full_slug.rsplit("/", 1)[-1],
            "full_slug": full_slug,
            "sort_by_date": None,
            "position": 0,
            "tag_list": [],
            "is_startpage": False,
            "parent_id": 1,
            "meta_data": None,
            "group_id": "00000000-0000-0000-0000-000000000000",
            "first_published_at": "2024-01-02T10:00:00.000Z",
            "release_id": None,
            "lang": "default",
            "path": None,
            "alternates": [],
            "default_full_slug": None,
            "translated_slugs": None,
        },
        "cv": 1704189600,
        "rels": [],
        "links": [],
    }


def serve_story(httpserver: HTTPServer, payload: dict[str, Any]) -> None:
    story_id = payload["story"]["id"]
    httpserver.expect_oneshot_request(
        f"/storyblok/v2/cdn/stories/{story_id}", method="GET", query_string=CDN_QUERY
    ).respond_with_json(payload)


def body_for(action: str, story_id: int, full_slug: str = "courses/x") -> bytes:
    return json.dumps(
        {
            "text": f"The user someone {action} the Story ({full_slug})",
            "action": action,
            "space_id": 1000,
            "story_id": story_id,
            "full_slug": full_slug,
        }
    ).encode()


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def post_raw(stack: RunningStack, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{stack.api}/webhooks/storyblok",
        data=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )


def deliver(stack: RunningStack, action: str, story_id: int) -> requests.Response:
    body = body_for(action, story_id)
    return post_raw(stack, body, {"webhook-signature": sign(body)})


def publish_course(
    stack: RunningStack,
    httpserver: HTTPServer,
    story_id: int = 101,
    uuid: str = COURSE_UUID,
    content: dict[str, Any] | None = None,
) -> dict[str, Any]:
    serve_story(
        httpserver,
        story_payload(story_id, uuid, "Course", f"Course {story_id}", f"courses/c{story_id}", **(content or {})),
    )
    response = deliver(stack, "published", story_id)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def publish_session(
    stack: RunningStack,
    httpserver: HTTPServer,
    course_uuid: str = COURSE_UUID,
    action: str = "published",
    component: str = "Session",
    name: str = "Session one",
) -> requests.Response:
    serve_story(
        httpserver, story_payload(201, SESSION_UUID, component, name, "courses/c101/session-one", course=course_uuid)
    )
    return deliver(stack, action, 201)
