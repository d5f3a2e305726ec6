"""Webhooks from third parties, declared with `webhook_function`: verified, recorded, then handled or handed off.

Each delivery goes through these steps, in order:
1. the signature or token (`verify=`, `bloom.platform.webhook_verification`) is checked in constant time on the
   raw body, before anything is parsed: 401 with the scheme's stable message when it is missing or wrong;
2. the body is parsed with the toolkit's guards (nesting too deep is refused before the parser sees it; not JSON,
   unpaired surrogates: 400) and validated against `body=` (400 listing every problem); a scheme whose proof
   also covers body values (`BodyVerification`) then checks them (401);
3. with `idempotency_key=`, the delivery is claimed in `webhookDeliveries` under its key: a replay within
   `replay_window` is answered 200 and nothing is done again;
4. the work is handed to a subscriber (`<name>_worker`, on topic `webhooks.<name>`) through the outbox, in the
   transaction that claims the key, and the provider gets 202. With `respond_inline=True`, for providers that
   need the answer, the handler runs in the request instead and its result is the response (201). A replay
   gets the stored answer with 200, so an inline webhook's answer must carry no personal data.

A provider's challenge (Zoom's URL validation) is answered in the request by `challenge=` once the delivery is
verified and validated, 200 with the proof it returns, and nothing is recorded or handed off. `accepted_status=200`
answers a hand-off 200 instead of 202, for providers that count only 200 (or 204) as delivered (Zoom), and an
inline answer 200 instead of 201 (Front).

A provider that sends no delivery id and sends identical bodies for distinct events (Storyblok does, for each
publish of a story) declares no key: its handler must then be idempotent by itself.

The receiver is an HTTP function of `bloom.platform.http` (request id, CORS, security headers, log line, error
bodies) with `Role.WEBHOOK`; the worker is an event function of `bloom.platform.subscriber`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Unpack

from pydantic import BaseModel, ConfigDict, JsonValue, TypeAdapter, ValidationError

from bloom.core.errors import ErrorCatalogue, ErrorSpec, PermanentEventError
from bloom.core.logging import get_logger
from bloom.core.models import CamelModel, RequestModel
from bloom.core.time import utcnow
from bloom.platform.auth import assert_not_emulated_in_production
from bloom.platform.events import Event
from bloom.platform.http import Empty, HttpContext, HttpHandler, Reply, documented_errors, http_entry
from bloom.platform.registry import Deployment, DeploymentOptions, FunctionSpec, Role, Sdk, register
from bloom.platform.request_body import BodyFormat, parse_form_body, parse_json_body, validate_model
from bloom.platform.store.indexes import ttl_field
from bloom.platform.store.repository import Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.platform.subscriber import event_function
from bloom.platform.topics import Topic, declare_topic
from bloom.platform.webhook_verification import ERRORS, BodyVerification, Verification

if TYPE_CHECKING:
    import flask

BodyT = TypeVar("BodyT", bound=BaseModel)
DELIVERIES_COLLECTION = "webhookDeliveries"
ttl_field(DELIVERIES_COLLECTION, "expireAt")
REPLAY_WINDOW = timedelta(days=7)
DELIVERY_IN_PROGRESS = ERRORS.declare(409, "WEBHOOK_DELIVERY_IN_PROGRESS")
_log = get_logger(__name__)


@dataclass(frozen=True)
class WebhookRequest(Generic[BodyT]):
    """What an idempotency key is computed from: a verified delivery."""

    body: BodyT
    raw_body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class WebhookDelivery(Generic[BodyT]):
    """What the handler gets, in the request or in the worker."""

    body: BodyT
    key: str | None
    received_at: datetime


class WebhookQuery(RequestModel):
    """The receiver's query string, kept as sent, for verification schemes that read a token from it."""

    model_config = ConfigDict(extra="allow")

    def values(self) -> Mapping[str, str]:
        return {name: str(value) for name, value in (self.model_extra or {}).items()}


class WebhookReceipt(CamelModel):
    """The answer to a delivery handed to a subscriber; `duplicate` when it replays one already received."""

    duplicate: bool


class WebhookReceived(CamelModel):
    """The event a webhook's receiver hands to its worker: the verified body, as its model dumps it."""

    key: str | None
    received_at: datetime
    body: JsonValue


class DeliveryRecord(CamelModel):
    """`webhookDeliveries/{webhook}:{sha256 of the key}`: one per key, deleted by TTL after the replay window."""

    webhook: str
    status: Literal["queued", "processing", "done"]  # queued: handed off; processing/done: inline
    received_at: datetime
    lease_until: datetime | None = None  # an inline run not done by then is presumed dead
    answer: str | None = None  # JSON of an inline answer
    expire_at: datetime

    def makes_replay(self, now: datetime) -> bool:
        """Whether a delivery with the same key, received now, repeats this one."""
        if self.expire_at <= now:
            return False
        return self.status != "processing" or (self.lease_until is not None and self.lease_until > now)


class DeliveriesRepository(Repository[DeliveryRecord]):
    collection_name = DELIVERIES_COLLECTION
    model = DeliveryRecord


class DeliveriesWork(UnitOfWork):
    deliveries = repository(DeliveriesRepository)


class Webhook(Generic[BodyT]):
    """One declared webhook: what its receiver does with a request and, when it hands off, what its worker does.

    `topic` None means inline: the handler runs in the request and its result, of type `response`, is the answer.
    """

    def __init__(
        self,
        name: str,
        path: str,
        verify: Verification,
        body: type[BodyT],
        handler: Callable[[WebhookDelivery[BodyT]], Any],
        *,
        idempotency_key: Callable[[WebhookRequest[BodyT]], str] | None,
        topic: Topic[WebhookReceived] | None,
        response: Any = None,
        replay_window: timedelta = REPLAY_WINDOW,
        lease: timedelta = timedelta(seconds=60),
        ignore: Callable[[BodyT], bool] | None = None,
        challenge: Callable[[BodyT], BaseModel | None] | None = None,
        accepted_status: Literal[200, 202] = 202,
        body_format: BodyFormat = "json",
    ) -> None:
        self.name, self.path, self.verify, self.body, self.handler = name, path, verify, body, handler
        self.idempotency_key, self.topic, self.ignore, self.challenge = idempotency_key, topic, ignore, challenge
        self.body_format = body_format
        self.response: Any = WebhookReceipt if topic is not None else response
        self.status_code = accepted_status if topic is not None else (200 if accepted_status == 200 else 201)
        self.replay_window, self.lease = replay_window, lease

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        """The answer's serializer, built on first use (not at import)."""
        return TypeAdapter(self.response)

    def receiver(self) -> HttpHandler[Empty, WebhookQuery]:
        """The HTTP function: the toolkit's request handling around `receive`."""
        return HttpHandler(
            name=self.name,
            method="POST",
            path=self.path,
            role=Role.WEBHOOK,
            handler=self.receive,
            authenticate=lambda *_: None,  # a webhook has no signed-in caller: `verify` authenticates the delivery
            response=self.response,
            query=WebhookQuery,
            status_code=self.status_code,
        )

    def receive(self, ctx: HttpContext[Any, Any]) -> Reply:
        """The receiver's handler: verify, validate, claim the key, then hand off or run the handler."""
        self.verify.verify(ctx.raw_body, ctx.headers, ctx.query.values())
        parsed = parse_form_body(ctx.raw_body) if self.body_format == "form" else parse_json_body(ctx.raw_body)
        body = validate_model(self.body, parsed)
        if isinstance(self.verify, BodyVerification):
            self.verify.verify_body(body)
        proof = self.challenge(body) if self.challenge is not None else None
        if proof is not None:
            _log.info("webhook challenge answered")
            return Reply(200, proof.model_dump(mode="json", by_alias=True))
        if self.ignore is not None and self.ignore(body):
            _log.info("webhook delivery needs no work; answered without recording it")
            return Reply(201, None)
        key = self.idempotency_key(WebhookRequest(body, ctx.raw_body, ctx.headers)) if self.idempotency_key else None
        now = utcnow()
        if self.topic is not None:
            # Only what the model keeps travels on: fields the provider sends that we do not use are dropped here.
            kept = body.model_dump(mode="json", by_alias=True)
            return self._hand_off(self.topic, WebhookReceived(key=key, received_at=now, body=kept))
        return self._run_inline(WebhookDelivery(body=body, key=key, received_at=now))

    def work(self, event: Event[WebhookReceived]) -> None:
        """The worker's handler: the delivery's body validated again, then the declared handler."""
        try:
            body = self.body.model_validate(event.payload.body)
        except ValidationError as exc:  # only when the model changed since the delivery was received
            raise PermanentEventError(f"{self.name}: delivery no longer valid ({exc.error_count()} errors)") from None
        self.handler(WebhookDelivery(body=body, key=event.payload.key, received_at=event.payload.received_at))

    def _hand_off(self, topic: Topic[WebhookReceived], received: WebhookReceived) -> Reply:
        def record(uow: DeliveriesWork) -> DeliveryRecord | None:
            earlier = None if received.key is None else self._claim(uow, received.key, received.received_at, "queued")
            if earlier is None:
                uow.emit(topic, received)
            return earlier

        if DeliveriesWork.run_in_transaction(record) is not None:
            _log.info("webhook delivery replayed; answered without doing anything again")
            return Reply(200, WebhookReceipt(duplicate=True).model_dump(by_alias=True))
        _log.info("webhook delivery handed to its worker", extra={"topic": topic.name})
        return Reply(self.status_code, WebhookReceipt(duplicate=False).model_dump(by_alias=True))

    def _run_inline(self, delivery: WebhookDelivery[BodyT]) -> Reply:
        if delivery.key is None:
            return Reply(self.status_code, self._answer(delivery))
        key = delivery.key
        earlier = DeliveriesWork.run_in_transaction(
            lambda uow: self._claim(uow, key, delivery.received_at, "processing")
        )
        if earlier is not None:
            if earlier.status != "done" or earlier.answer is None:
                raise DELIVERY_IN_PROGRESS.error()
            _log.info("webhook delivery replayed; its first answer is sent again")
            return Reply(200, json.loads(earlier.answer))
        doc_id = self._doc_id(key)
        try:
            answer = self._answer(delivery)
        except Exception:
            with DeliveriesWork() as uow:
                uow.deliveries.delete(doc_id)  # released: the provider's retry runs the handler again
            raise
        with DeliveriesWork() as uow:
            uow.deliveries.change(doc_id, status="done", answer=json.dumps(answer))
        return Reply(self.status_code, answer)

    def _answer(self, delivery: WebhookDelivery[BodyT]) -> Any:
        return self.adapter.dump_python(self.handler(delivery), mode="json", by_alias=True)

    def _doc_id(self, key: str) -> str:
        return f"{self.name}:{hashlib.sha256(key.encode()).hexdigest()}"

    def _claim(
        self, uow: DeliveriesWork, key: str, now: datetime, status: Literal["queued", "processing"]
    ) -> DeliveryRecord | None:
        """Record this delivery under its key, or return the earlier delivery it replays."""
        doc_id = self._doc_id(key)
        earlier = uow.deliveries.get(doc_id)
        if earlier is not None and earlier.makes_replay(now):
            return earlier
        record = DeliveryRecord(
            webhook=self.name,
            status=status,
            received_at=now,
            lease_until=now + self.lease if status == "processing" else None,
            expire_at=now + self.replay_window,
        )
        # `new` when there is none: expired ones, and inline runs that died before answering, are replaced
        uow.deliveries.save(doc_id, record, new=earlier is None)
        return None


def webhook_function(
    path: str,
    *,
    verify: Verification,
    body: type[BodyT],
    summary: str,
    idempotency_key: Callable[[WebhookRequest[BodyT]], str] | None = None,
    respond_inline: bool = False,
    response: Any = None,
    replay_window: timedelta = REPLAY_WINDOW,
    ignore: Callable[[BodyT], bool] | None = None,
    challenge: Callable[[BodyT], BaseModel | None] | None = None,
    accepted_status: Literal[200, 202] = 202,
    body_format: BodyFormat = "json",
    tags: tuple[str, ...] = ("webhooks",),
    errors: tuple[ErrorCatalogue | ErrorSpec, ...] = (),
    **options: Unpack[DeploymentOptions],
) -> Callable[[Callable[[WebhookDelivery[BodyT]], Any]], Callable[[flask.Request], flask.Response]]:
    """Declare a webhook `POST path`. The decorated name is the receiver's; a hand-off adds `<name>_worker`.

    `options` (the `Deployment`: secrets, SDKs, capabilities, topics, memory, timeout) are the handler's: they go to
    whichever function runs it. The receiver always gets `verify`'s secret, and Firestore/Pub/Sub (and its worker's
    topic) when it claims keys or hands off. `errors` are what an inline handler can raise, documented with the
    scheme's own (see `http_function`). A delivery `ignore(body)` is true for (a provider's ping) is answered 201
    `null` once verified and validated, with nothing recorded or handed off; one `challenge(body)` answers (a
    provider's URL validation) gets 200 with that answer, nothing recorded (say so in `summary`).
    `accepted_status` is a hand-off's success status (202, or 200 for providers that count no other as delivered);
    on an inline webhook, 200 makes its answer 200 instead of 201 (Front's channel wants 200).
    `body_format="form"` reads an `application/x-www-form-urlencoded` body (`parse_form_body`) instead of JSON.
    """
    if respond_inline != (response is not None):
        raise ValueError("an inline webhook declares its `response`; one handed off answers a WebhookReceipt")
    handlers = Deployment(**options)

    def decorate(handler: Callable[[WebhookDelivery[BodyT]], Any]) -> Callable[[flask.Request], flask.Response]:
        assert_not_emulated_in_production()
        name = handler.__name__
        topic = (
            None
            if respond_inline
            else declare_topic(f"webhooks.{name.replace('_', '-')}", WebhookReceived, f"Deliveries {name} received")
        )
        webhook = Webhook(
            name,
            path,
            verify,
            body,
            handler,
            idempotency_key=idempotency_key,
            topic=topic,
            response=response,
            replay_window=replay_window,
            lease=timedelta(seconds=handlers.timeout_s),
            ignore=ignore,
            challenge=challenge,
            accepted_status=accepted_status,
            body_format=body_format,
        )
        entry = http_entry(webhook.receiver(), handler)
        receiver_sdks = set(handlers.sdks) if respond_inline else {Sdk.PUBSUB, Sdk.FIRESTORE}
        in_progress = (DELIVERY_IN_PROGRESS,) if respond_inline and idempotency_key is not None else ()
        if idempotency_key is not None:
            receiver_sdks.add(Sdk.FIRESTORE)
        register(
            FunctionSpec(
                name=name,
                module=handler.__module__,
                kind="http",
                entry=entry,
                summary=summary,
                deployment=Deployment(
                    secrets=tuple(dict.fromkeys((verify.credential, *(handlers.secrets if respond_inline else ())))),
                    sdks=tuple(sorted(receiver_sdks)),
                    uses=handlers.uses if respond_inline else (),
                    emits=handlers.emits if topic is None else (topic,),
                    memory_mb=handlers.memory_mb if respond_inline else Deployment.memory_mb,
                    timeout_s=handlers.timeout_s if respond_inline else Deployment.timeout_s,
                ),
                method="POST",
                path=path,
                role=Role.WEBHOOK,
                body=body,
                response=webhook.response,
                status_code=webhook.status_code,
                tags=tags,
                errors=documented_errors(
                    (*verify.errors, *errors, *in_progress), uses_firestore=Sdk.FIRESTORE in receiver_sdks
                ),
                also_answers=((201, "Needs no work: nothing recorded"),) if ignore is not None else (),
                extra={"verify": verify},
            )
        )
        if topic is not None:

            def worker(event: Event[WebhookReceived]) -> None:
                webhook.work(event)

            worker.__name__ = worker.__qualname__ = f"{name}_worker"
            worker.__module__ = handler.__module__
            event_function(topic, summary=f"Handles what {name} received: {summary}", **options)(worker)
        return entry

    return decorate
