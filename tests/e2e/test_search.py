"""Search over HTTP: the exact matrix of who finds what (assigned, former and other therapists, the patient, an
outsider, a practice admin, no second factor), results that vanish when an assignment ends or a person is erased,
stemming and prefixes, ranking, blurred text that stays blurred in snippets, edits and deletes, query limits, no
plaintext in the index, and round trips that do not grow with the index."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from bloom.platform.store.client import db
from infra.auth_emulator import AuthAccount, AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.accounts import call
from tests.support.practice import (
    P,
    Therapist,
    active_assignment,
    care_thread,
    patient,
    practice_admin,
    send,
    therapist,
    user_id,
)
from tests.support.records import note
from tests.support.search import ROUND_TRIPS, found_ids, search, search_response
from tests.support.users import make_user
from tests.support.wait import eventually

MODERATIONS = "/openai/v1/moderations"
CLEAN = {"results": [{"flagged": False, "categories": {"hate": False, "self-harm": False}}]}


@pytest.fixture(autouse=True)
def moderation(httpserver: HTTPServer) -> None:
    httpserver.expect_request(MODERATIONS, method="POST").respond_with_json(CLEAN)


def sent(stack: RunningStack, account: AuthAccount, thread_id: str, text: str) -> str:
    response = send(stack, account, thread_id, text)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@dataclass(frozen=True)
class Care:
    admin: AuthAccount
    dr: Therapist
    pat: AuthAccount
    assignment_id: str
    thread_id: str


@pytest.fixture
def care(stack: RunningStack, auth: AuthEmulator) -> Care:
    admin = practice_admin(auth)
    dr = therapist(stack, auth, admin, "dr.search@example.com")
    pat = patient(auth, "pat.search@example.com")
    assignment_id = active_assignment(stack, admin, dr, pat)
    return Care(admin, dr, pat, assignment_id, care_thread(stack, pat, assignment_id))


def test_who_finds_what_exactly(stack: RunningStack, auth: AuthEmulator, care: Care) -> None:
    former = therapist(stack, auth, care.admin, "dr.former@example.com")
    other = therapist(stack, auth, care.admin, "dr.other@example.com")
    no_mfa = therapist(stack, auth, care.admin, "dr.nomfa@example.com", mfa=False)
    admin_no_mfa = auth.verify_email(make_user(auth, "half.admin@example.com", isSuperAdmin=True))
    outsider = patient(auth, "outsider.search@example.com")
    old_assignment = active_assignment(stack, care.admin, former, care.pat)
    old_thread = care_thread(stack, care.pat, old_assignment)
    old_from_pat = sent(stack, care.pat, old_thread, "therapy felt hard")
    old_from_former = sent(stack, former.account, old_thread, "therapy takes time")
    former_private = note(stack, former, user_id(care.pat), shared=False, text="therapy: early sessions")["id"]
    former_shared = note(stack, former, user_id(care.pat), shared=True, text="therapy summary for you")["id"]
    call(stack, "POST", f"{P}/assignments/{old_assignment}/end", care.pat)
    dr_private = note(stack, care.dr, user_id(care.pat), shared=False, text="therapy goals, privately")["id"]
    dr_shared = note(stack, care.dr, user_id(care.pat), shared=True, text="your therapy homework")["id"]
    assert former_private
    from_pat = sent(stack, care.pat, care.thread_id, "I want to talk about therapy")
    from_dr = sent(stack, care.dr.account, care.thread_id, "Therapy is a safe place")
    support = call(stack, "POST", f"{P}/threads", care.pat, json={"kind": "support"})["id"]
    asked = sent(stack, care.pat, support, "a question about therapy")
    answered = sent(stack, care.admin, support, "happy to help with therapy")
    sent(stack, outsider, call(stack, "POST", f"{P}/threads", outsider, json={"kind": "support"})["id"], "hello")

    expected: dict[str, tuple[AuthAccount | None, int, set[str]]] = {
        "nobody": (None, 401, set()),
        "therapist without a second factor": (no_mfa.account, 403, set()),
        "admin without a second factor": (admin_no_mfa, 403, set()),
        "assigned therapist": (care.dr.account, 200, {from_pat, from_dr, dr_private, dr_shared}),
        "former therapist": (former.account, 200, set()),
        "another therapist": (other.account, 200, set()),
        "the patient": (
            care.pat,
            200,
            {old_from_pat, old_from_former, from_pat, from_dr, asked, answered, former_shared, dr_shared},
        ),
        "an outsider": (outsider, 200, set()),
        "a practice admin": (care.admin, 200, {asked, answered}),
    }
    seen = {}
    for who, (account, _, _) in expected.items():
        response = search_response(stack, account, "therapy", limit=50)
        seen[who] = (response.status_code, {item["id"] for item in response.json()} if response.ok else set())
    assert seen == {who: (status, ids) for who, (_, status, ids) in expected.items()}


def test_results_vanish_when_an_assignment_ends_and_the_patient_keeps_theirs(stack: RunningStack, care: Care) -> None:
    mine = sent(stack, care.pat, care.thread_id, "the nightmares are back")
    written = note(stack, care.dr, user_id(care.pat), shared=True, text="nightmares: grounding exercise")["id"]
    assert found_ids(stack, care.dr.account, "nightmares") == [written, mine]
    call(stack, "POST", f"{P}/assignments/{care.assignment_id}/end", care.dr.account)
    assert found_ids(stack, care.dr.account, "nightmares") == []
    assert found_ids(stack, care.pat, "nightmares") == [written, mine]
    # asking for the read-only thread again gives the former therapist nothing back
    care_thread(stack, care.dr.account, care.assignment_id)
    assert found_ids(stack, care.dr.account, "nightmares") == []


def test_a_new_assignment_finds_the_new_thread_and_the_therapists_notes(stack: RunningStack, care: Care) -> None:
    before = sent(stack, care.pat, care.thread_id, "sleep is difficult")
    written = note(stack, care.dr, user_id(care.pat), shared=False, text="sleep hygiene")["id"]
    call(stack, "POST", f"{P}/assignments/{care.assignment_id}/end", care.pat)
    again = active_assignment(stack, care.admin, care.dr, care.pat)
    now = sent(stack, care.pat, care_thread(stack, care.pat, again), "sleep is better")
    assert found_ids(stack, care.dr.account, "sleep") == [now, written]
    assert found_ids(stack, care.pat, "sleep") == [now, before]


def test_note_edits_sharing_and_amendments(stack: RunningStack, care: Care) -> None:
    written = note(stack, care.dr, user_id(care.pat), shared=True, text="panic attacks at work")
    nid = written["id"]
    assert found_ids(stack, care.pat, "panic") == found_ids(stack, care.dr.account, "panic") == [nid]
    call(stack, "PATCH", f"{P}/notes/{nid}", care.dr.account, json={"body": {"text": "anxiety at work"}})
    assert found_ids(stack, care.dr.account, "panic") == []
    assert [r["snippet"] for r in search(stack, care.pat, "anxiety")] == ["anxiety at work"]
    call(stack, "PATCH", f"{P}/notes/{nid}", care.dr.account, json={"shared": False})
    assert found_ids(stack, care.pat, "anxiety") == []
    assert found_ids(stack, care.dr.account, "anxiety", scope="notes") == [nid]
    assert found_ids(stack, care.dr.account, "anxiety", scope="messages") == []
    call(stack, "POST", f"{P}/notes/{nid}/sign", care.dr.account)
    call(stack, "POST", f"{P}/notes/{nid}/amendments", care.dr.account, json={"text": "also insomnia", "reason": "r"})
    [found] = search(stack, care.dr.account, "insomnia")
    assert (found["kind"], found["id"], found["patientId"], found["threadId"]) == ("note", nid, user_id(care.pat), None)
    assert found["snippet"] == "anxiety at work\nalso insomnia"


def test_stems_prefixes_and_ranking(stack: RunningStack, care: Care) -> None:
    both = sent(stack, care.pat, care.thread_id, "Therapies and nightmares")
    one = sent(stack, care.pat, care.thread_id, "my therapy helps")
    accents = sent(stack, care.dr.account, care.thread_id, "I read your Résumé")
    assert found_ids(stack, care.dr.account, "therapy") == [one, both]  # a tie: newest first
    assert found_ids(stack, care.dr.account, "therapy nightmare") == [both, one]  # more words matched first
    assert found_ids(stack, care.dr.account, "thera") == [one, both]  # a prefix, as typed
    assert found_ids(stack, care.dr.account, "NIGHTM") == [both]
    assert found_ids(stack, care.pat, "resume") == [accents]
    assert found_ids(stack, care.pat, "rapy") == []  # not a prefix
    assert found_ids(stack, care.pat, "therapy", limit=1) == [one]
    assert found_ids(stack, care.pat, "therapy", scope="notes") == []
    assert found_ids(stack, care.pat, "therapy", scope="messages") == [one, both]


def test_blurred_text_stays_blurred_in_snippets(stack: RunningStack, care: Care) -> None:
    text = "Please call me on 07700 900123 after my therapy"
    mid = sent(stack, care.pat, care.thread_id, text)
    [theirs] = search(stack, care.dr.account, "therapy")
    assert theirs == {
        "kind": "message",
        "id": mid,
        "threadId": care.thread_id,
        "patientId": None,
        "at": theirs["at"],
        "snippet": "Please call me on [contact details hidden] after my therapy",
    }
    assert search(stack, care.dr.account, "07700") == []  # the recipient's entry never held the number
    [own] = search(stack, care.pat, "07700")
    assert own["snippet"] == text  # the sender sees their own


def test_edits_replace_and_deletes_remove(stack: RunningStack, care: Care) -> None:
    mid = sent(stack, care.pat, care.thread_id, "the garden helps")
    edited = requests.patch(
        f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages/{mid}",
        json={"text": "walking helps"},
        headers=care.pat.headers,
        timeout=30,
    )
    assert edited.status_code == 200, edited.text
    assert found_ids(stack, care.dr.account, "garden") == []
    assert [r["snippet"] for r in search(stack, care.dr.account, "walking")] == ["walking helps"]
    deleted = requests.delete(
        f"{stack.api}/v1/{P}/threads/{care.thread_id}/messages/{mid}", headers=care.pat.headers, timeout=30
    )
    assert deleted.status_code == 200, deleted.text
    assert found_ids(stack, care.dr.account, "walking") == found_ids(stack, care.pat, "walking") == []


def test_query_limits(stack: RunningStack, care: Care) -> None:
    def status(q: str, **params: Any) -> int:
        return search_response(stack, care.pat, q, **params).status_code

    assert status("a") == 400  # under 2 characters
    assert status("x" * 201) == 400
    assert status("x" * 200) == 200
    assert status("!! ??") == 400  # no word
    assert status("one two three four five six seven eight") == 200
    nine = search_response(stack, care.pat, "one two three four five six seven eight nine")
    assert (nine.status_code, nine.json()["message"]) == (400, "SEARCH_QUERY_HAS_MORE_THAN_8_WORDS")
    assert status("therapy", limit=0) == status("therapy", limit=51) == status("therapy", scope="files") == 400


def test_no_plaintext_in_the_index(stack: RunningStack, care: Care) -> None:
    sent(stack, care.pat, care.thread_id, "Secretive Nightingale 07700 900123")
    entries = [snapshot.to_dict() or {} for snapshot in db().collection("searchEntries").stream()]
    assert len(entries) == 2  # one per reader
    stored = json.dumps(entries, default=str).lower()
    for word in ("secretive", "nightingale", "07700", "900123", "secr", "night"):
        assert word not in stored
    scopes = {snapshot.id: snapshot.to_dict() or {} for snapshot in db().collection("searchScopes").stream()}
    assert scopes == {  # ids only
        f"thread:{care.thread_id}": {"readers": [care.dr.user_id, user_id(care.pat)]},
        f"care:{user_id(care.pat)}": {"readers": [care.dr.user_id]},
    }


def test_a_search_costs_the_same_round_trips_whatever_the_index_holds(stack: RunningStack, care: Care) -> None:
    sent(stack, care.pat, care.thread_id, "first words")
    small = search_response(stack, care.dr.account, "words")
    for index in range(20):
        sent(stack, care.pat if index % 2 else care.dr.account, care.thread_id, f"more words {index}")
    large = search_response(stack, care.dr.account, "words", limit=50)
    assert len(large.json()) == 21
    # authentication (the user, the rate limit's counter overlapping it), the candidates, their grants
    assert small.headers[ROUND_TRIPS] == large.headers[ROUND_TRIPS] == "3"


def test_erasure_removes_the_erased_persons_messages_and_the_care_thread_from_results(
    stack: RunningStack, care: Care, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/slack/deleted-users", method="POST").respond_with_data("ok")
    sent(stack, care.pat, care.thread_id, "my story of the flood")
    theirs = sent(stack, care.dr.account, care.thread_id, "thank you for the flood story")
    note(stack, care.dr, user_id(care.pat), shared=True, text="the flood, session one")
    assert len(found_ids(stack, care.dr.account, "flood")) == 3
    assert requests.delete(f"{stack.api}/v1/user", headers=care.pat.headers, timeout=30).status_code == 200
    eventually(lambda: found_ids(stack, care.dr.account, "flood"), lambda found: found == [])
    # the therapist's own message is all that is left, hidden: the care thread's scope is closed
    eventually(
        lambda: [snapshot.id for snapshot in db().collection("searchEntries").stream()],
        lambda left: left == [f"{care.dr.user_id}_message_{theirs}"],
    )
    assert not db().collection("searchScopes").document(f"thread:{care.thread_id}").get().exists
