"""The support console's documents are closed to clients (`firestore.rules`): a requester reads their ticket
through the API alone, which leaves internal comments out; nobody reads or writes tickets, comments or the
counter directly."""

from __future__ import annotations

from bloom.platform.store.client import db
from infra.auth_emulator import AuthEmulator
from infra.stack_runner import RunningStack
from tests.support.firestore_rest import get, list_documents, write


def test_tickets_comments_and_the_counter_are_closed_to_clients(stack: RunningStack, auth: AuthEmulator) -> None:
    requester = auth.sign_up("requester.rules@example.com")
    ticket = {"id": "t1", "requesterId": f"user-{requester.uid}", "requesterUid": requester.uid, "body": "help"}
    db().collection("supportTickets").document("t1").set(ticket)
    db().collection("supportComments").document("c1").set({"id": "c1", "ticketId": "t1", "internal": True})
    db().collection("supportCounters").document("tickets").set({"last": 1})
    for path in ("supportTickets/t1", "supportComments/c1", "supportCounters/tickets"):
        assert get(stack, requester, path) == 403, path
        assert get(stack, None, path) == 403, path
    for collection in ("supportTickets", "supportComments"):
        assert list_documents(stack, requester, collection) == 403, collection
    assert write(stack, requester, "supportTickets/t2", {"requesterUid": {"stringValue": requester.uid}}) == 403
    assert write(stack, requester, "supportCounters/tickets", {"last": {"integerValue": "0"}}) == 403
