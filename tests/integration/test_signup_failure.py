"""A signup whose user cannot be written leaves no Firebase account behind (no mocks of our code).

The failure is real: the signup service talks to a Firestore endpoint that refuses every call (a gRPC server
answering PERMISSION_DENIED), while Firebase Auth is the real emulator. When the first Firestore call arrives,
the account already exists (the server records the emulator's accounts at that moment); afterwards it is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc  # type: ignore[import-untyped]  # grpcio ships no type information
import pytest
from google.api_core.exceptions import PermissionDenied

import bloom.platform.store.client
from bloom.accounts.schemas import CreateUser
from bloom.accounts.service import register
from infra.stack_runner import RunningStack
from tests.support.accounts import PASSWORD, auth_emails

STREAMING_RESPONSES = ("BatchGetDocuments", "RunQuery", "RunAggregationQuery", "PartitionQuery")
BIDIRECTIONAL = ("Write", "Listen")


class RefusingFirestore(grpc.GenericRpcHandler):  # type: ignore[misc]
    """Answers every Firestore RPC with PERMISSION_DENIED, noting what was asked and what Auth held then."""

    def __init__(self, on_call: Callable[[], list[str]]) -> None:
        self.on_call = on_call
        self.calls: list[tuple[str, list[str]]] = []

    def _refuse(self, method: str, context: grpc.ServicerContext) -> None:
        self.calls.append((method.rsplit("/", 1)[-1], self.on_call()))
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "this Firestore refuses every call")

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = str(handler_call_details.method)

        def unary(_: Any, context: grpc.ServicerContext) -> None:
            self._refuse(method, context)

        def streaming(_: Any, context: grpc.ServicerContext) -> Iterator[bytes]:
            self._refuse(method, context)
            yield b""

        name = method.rsplit("/", 1)[-1]
        if name in BIDIRECTIONAL:
            return grpc.stream_stream_rpc_method_handler(streaming)
        if name in STREAMING_RESPONSES:
            return grpc.unary_stream_rpc_method_handler(streaming)
        return grpc.unary_unary_rpc_method_handler(unary)


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@pytest.fixture
def refusing_firestore(stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingFirestore]:
    """Point this process's Firestore client at the refusing server (restored afterwards)."""
    handler = RefusingFirestore(lambda: auth_emails(stack))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
    monkeypatch.setattr(bloom.platform.store.client, "_client", None)
    try:
        yield handler
    finally:
        server.stop(grace=None)


def test_no_account_remains_when_firestore_refuses_the_user(
    stack: RunningStack, refusing_firestore: RefusingFirestore
) -> None:
    body = CreateUser.model_validate(
        {"name": "Sam", "email": "refused@example.com", "password": PASSWORD, "contactPermission": True}
    )
    with pytest.raises(Exception) as failure:  # the client library may wrap the refusal in its own error
        register(body)
    assert any(isinstance(exc, PermissionDenied) for exc in causes(failure.value)), failure.value
    assert refusing_firestore.calls, "the signup never reached Firestore"
    first_method, accounts_then = refusing_firestore.calls[0]
    assert accounts_then == ["refused@example.com"], f"no account existed when {first_method} was called"
    assert auth_emails(stack) == []
