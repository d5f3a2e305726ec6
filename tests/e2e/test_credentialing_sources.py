"""Requirement sources over HTTP on the local stack: a practice admin uploads a PDF and adds it as a source, the
ingestion subscriber (the real local model) chunks and embeds it, and therapists read their requirements —
vector queries with payer and state pre-filters on the Firestore emulator, the deterministic extractor, and the
OpenAI extractor against a fake that checks what we send (with its fail-over)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bloom.credentialing.ingestion import NO_TEXT_LAYER
from bloom.credentialing.models import EMBEDDING_DIMENSION, PAGES_PER_BATCH, ChunkRecord, chunk_id
from bloom.credentialing.repository import ChunksRepository, QueryVectorsRepository
from bloom.files.schemas import PDF
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.files import settled, uploaded
from tests.support.pdfs import image_only_pdf, many_pages_pdf, text_pdf
from tests.support.practice import Therapist, practice_admin, therapist
from tests.support.users import make_user
from tests.support.wait import eventually

C = "practice/credentialing"
CHAT = "/openai/v1/chat/completions"
NORTHWIND = [
    "Northwind Health Plan credentialing guide for behavioral health clinicians in New York.",
    "Every clinician must hold a current, unrestricted New York license. Submit a copy of the license.",
    "Malpractice insurance of at least one million dollars per claim is required. Send the certificate.",
    "Each provider must have an individual NPI and keep a CAQH ProView profile attested every 120 days.",
]


def api(stack: RunningStack, method: str, path: str, account: AuthAccount | None, **kwargs: Any) -> requests.Response:
    headers = account.headers if account is not None else {}
    return requests.request(method, f"{stack.api}/v1/{C}/{path}", headers=headers, timeout=60, **kwargs)


def pdf_upload(stack: RunningStack, account: AuthAccount, data: bytes) -> str:
    upload_id = uploaded(stack, account, data, PDF, purpose="document", fileName="requirements.pdf")
    assert settled(stack, account, upload_id) == "available"
    return upload_id


def add_source(
    stack: RunningStack, admin: AuthAccount, data: bytes, payer: str = "northwind", state: str = "US-NY"
) -> dict[str, Any]:
    body = {"uploadId": pdf_upload(stack, admin, data), "payer": payer, "state": state, "title": f"{payer} guide"}
    response = api(stack, "POST", "sources", admin, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["status"] == "pending"
    return created


def source(stack: RunningStack, admin: AuthAccount, source_id: str) -> dict[str, Any]:
    listed = api(stack, "GET", "sources", admin).json()["items"]
    [found] = [item for item in listed if item["id"] == source_id]
    return dict(found)


def settled_source(stack: RunningStack, admin: AuthAccount, source_id: str) -> dict[str, Any]:
    return eventually(
        lambda: source(stack, admin, source_id), lambda s: s["status"] in ("ingested", "failed"), timeout_s=180
    )


def chunks_of(source_id: str) -> list[ChunkRecord]:
    rows = ChunksRepository().select([], limit=1000)
    return sorted((chunk for _, chunk in rows if chunk.source_id == source_id), key=lambda c: c.index)


@pytest.fixture
def admin(auth: AuthEmulator) -> AuthAccount:
    return practice_admin(auth)


@pytest.fixture
def dr(stack: RunningStack, auth: AuthEmulator, admin: AuthAccount) -> Therapist:
    return therapist(stack, auth, admin, "dr.cred@example.com", licensedIn=["US-NY"])


def test_a_text_pdf_is_ingested_into_chunks_with_vectors(stack: RunningStack, admin: AuthAccount) -> None:
    created = add_source(stack, admin, text_pdf(NORTHWIND))
    done = settled_source(stack, admin, created["id"])
    assert (done["status"], done["pages"], done["pagesDone"], done["chunks"]) == ("ingested", 4, 4, 4)
    chunks = chunks_of(created["id"])
    assert [(c.page, c.payer, c.state) for c in chunks] == [(n, "northwind", "US-NY") for n in (1, 2, 3, 4)]
    assert "unrestricted New York license" in chunks[1].text
    assert all(len(c.embedding) == EMBEDDING_DIMENSION for c in chunks)
    query = QueryVectorsRepository().get("northwind~US-NY")
    assert query is not None and len(query.embedding) == EMBEDDING_DIMENSION


def test_a_pdf_without_a_text_layer_fails_with_the_reason(stack: RunningStack, admin: AuthAccount) -> None:
    created = add_source(stack, admin, image_only_pdf(pages=3))
    done = settled_source(stack, admin, created["id"])
    assert (done["status"], done["failureReason"], done["pages"], done["chunks"]) == ("failed", NO_TEXT_LAYER, 3, 0)
    assert chunks_of(created["id"]) == []


def test_a_long_pdf_is_ingested_in_batches(stack: RunningStack, admin: AuthAccount) -> None:
    pages = 2 * PAGES_PER_BATCH + 3
    created = add_source(stack, admin, many_pages_pdf(pages))
    done = settled_source(stack, admin, created["id"])
    assert (done["status"], done["pages"], done["pagesDone"], done["chunks"]) == ("ingested", pages, pages, pages)
    assert [c.page for c in chunks_of(created["id"])] == list(range(1, pages + 1))


def test_reingesting_replaces_the_chunks_and_deleting_removes_them(stack: RunningStack, admin: AuthAccount) -> None:
    created = add_source(stack, admin, text_pdf(NORTHWIND))
    assert settled_source(stack, admin, created["id"])["chunks"] == 4
    leftover = chunks_of(created["id"])[0].model_copy(update={"index": 7, "text": "from a longer, older version"})
    ChunksRepository().save(chunk_id(created["id"], 7), leftover)

    again = api(stack, "POST", f"sources/{created['id']}/ingest", admin)
    assert (again.status_code, again.json()["status"]) == (201, "pending")
    assert settled_source(stack, admin, created["id"])["status"] == "ingested"
    assert [c.index for c in chunks_of(created["id"])] == [0, 1, 2, 3]

    deleted = api(stack, "DELETE", f"sources/{created['id']}", admin)
    assert (deleted.status_code, deleted.json()["id"]) == (200, created["id"])
    assert chunks_of(created["id"]) == []
    assert api(stack, "GET", "sources", admin).json()["items"] == []
    assert api(stack, "DELETE", f"sources/{created['id']}", admin).status_code == 404


def test_requirements_come_from_the_payer_and_state_only_and_cite_their_page(
    stack: RunningStack, admin: AuthAccount, dr: Therapist, httpserver: HTTPServer
) -> None:
    httpserver.clear()  # the model answers 404: the deterministic extractor
    ny = add_source(stack, admin, text_pdf(NORTHWIND))
    ca_text = ["Bluebird Care requires a California license from the Board of Behavioral Sciences."]
    ca = add_source(stack, admin, text_pdf(ca_text), payer="bluebird", state="US-CA")
    other_state = add_source(stack, admin, text_pdf(ca_text), payer="northwind", state="US-CA")
    for created in (ny, ca, other_state):
        assert settled_source(stack, admin, created["id"])["status"] == "ingested"

    response = api(stack, "GET", "requirements", dr.account, params={"payer": "northwind", "state": "US-NY"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {c["sourceId"] for item in items for c in item["citations"]} == {ny["id"]}
    by_kind = {item["kind"]: item for item in items}
    assert by_kind["license"]["citations"] == [{"sourceId": ny["id"], "page": 2}]
    assert by_kind["malpractice_insurance"]["citations"] == [{"sourceId": ny["id"], "page": 3}]
    assert {"npi", "license", "malpractice_insurance"} <= set(by_kind)
    again = api(stack, "GET", "requirements", dr.account, params={"payer": "northwind", "state": "US-NY"})
    assert [item["id"] for item in again.json()["items"]] == [item["id"] for item in items]  # stable ids
    none = api(stack, "GET", "requirements", dr.account, params={"payer": "cascade", "state": "US-WA"})
    assert none.json() == {"items": []}


def test_the_openai_extractor_gets_the_passages_and_a_json_schema_and_fails_over(
    stack: RunningStack, admin: AuthAccount, dr: Therapist, httpserver: HTTPServer
) -> None:
    created = add_source(stack, admin, text_pdf(NORTHWIND))
    assert settled_source(stack, admin, created["id"])["status"] == "ingested"
    httpserver.clear()
    answer = {"items": [{"passage": 1, "text": "Hold an active New York license", "kind": "license"}]}
    completion = {"choices": [{"message": {"content": json.dumps(answer)}}]}
    httpserver.expect_oneshot_request(CHAT, method="POST").respond_with_json(completion)
    params = {"payer": "northwind", "state": "US-NY"}

    [item] = api(stack, "GET", "requirements", dr.account, params=params).json()["items"]
    sent, _ = httpserver.log[-1]
    assert sent.headers["Authorization"] == "Bearer test-openai-key"
    body = json.loads(sent.data)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    passages = body["messages"][1]["content"]
    assert passages.startswith("[1] ") and "[5]" not in passages  # at most the top 5 chunks
    first_page = chunks_of(created["id"])
    cited = item["citations"][0]
    assert item["text"] == "Hold an active New York license" and item["kind"] == "license"
    assert cited["sourceId"] == created["id"] and cited["page"] in {c.page for c in first_page}

    def slow(_: Request) -> Response:
        time.sleep(3.5)
        return Response(json.dumps(completion), content_type="application/json")

    for fault in ("timeout", "error", "not the schema"):
        httpserver.clear()
        if fault == "timeout":
            httpserver.expect_oneshot_request(CHAT, method="POST").respond_with_handler(slow)
        elif fault == "error":
            httpserver.expect_oneshot_request(CHAT, method="POST").respond_with_data("busy", status=503)
        else:
            bad = {"choices": [{"message": {"content": json.dumps({"items": [{"passage": 9, "text": "x"}]})}}]}
            httpserver.expect_oneshot_request(CHAT, method="POST").respond_with_json(bad)
        items = api(stack, "GET", "requirements", dr.account, params=params).json()["items"]
        assert "license" in {i["kind"] for i in items}, fault  # the deterministic extractor answered
        assert all(i["text"] != "Hold an active New York license" for i in items), fault


def test_only_practice_admins_manage_sources_and_uploads_are_their_own(
    stack: RunningStack, auth: AuthEmulator, admin: AuthAccount, dr: Therapist
) -> None:
    user = make_user(auth, "someone@example.com")
    created = add_source(stack, admin, text_pdf(NORTHWIND))
    sid = created["id"]
    calls = [
        ("POST", "sources", {"uploadId": "x", "payer": "p", "state": "US-NY", "title": "t"}),
        ("GET", "sources", None),
        ("POST", f"sources/{sid}/ingest", None),
        ("DELETE", f"sources/{sid}", None),
    ]
    for method, path, body in calls:
        assert api(stack, method, path, None, json=body).status_code == 401, (method, path)
        for caller in (user, dr.account):
            assert api(stack, method, path, caller, json=body).status_code == 403, (method, path)
    # Another admin cannot make a source of someone else's upload (nor learn whether it exists).
    other_admin = practice_admin(auth, "second.admin@example.com")
    theirs = pdf_upload(stack, dr.account, text_pdf(NORTHWIND))
    body = {"uploadId": theirs, "payer": "northwind", "state": "US-NY", "title": "t"}
    assert api(stack, "POST", "sources", other_admin, json=body).status_code == 409
    assert api(stack, "POST", "sources", other_admin, json=body | {"uploadId": "no-such-upload"}).status_code == 409
    assert api(stack, "GET", "sources", other_admin).json()["items"][0]["id"] == sid  # sources are the practice's


def test_requirements_are_the_therapists_own_or_an_admins(
    stack: RunningStack, auth: AuthEmulator, admin: AuthAccount, dr: Therapist
) -> None:
    other = therapist(stack, auth, admin, "dr.other@example.com")
    params = {"payer": "northwind", "state": "US-NY"}
    assert api(stack, "GET", "requirements", None, params=params).status_code == 401
    assert api(stack, "GET", "requirements", make_user(auth, "u@example.com"), params=params).status_code == 403
    assert api(stack, "GET", "requirements", dr.account, params=params).status_code == 200
    probe = params | {"therapistId": other.profile_id}
    assert api(stack, "GET", "requirements", dr.account, params=probe).status_code == 404
    assert api(stack, "GET", "requirements", admin, params=probe).status_code == 200
    assert api(stack, "GET", "requirements", admin, params=params).status_code == 404  # an admin names whose
    bad = api(stack, "GET", "requirements", dr.account, params={"payer": "Not A Slug!", "state": "NY"})
    assert bad.status_code == 400
