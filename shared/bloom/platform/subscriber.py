"""Pub/Sub functions: `event_function` for domain events, `scheduled_function` for Cloud Scheduler jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, Unpack

from pydantic import BaseModel

from bloom.core.logging import get_logger
from bloom.platform.auth import assert_not_emulated_in_production
from bloom.platform.events import Delivery, Event, MalformedDelivery, delivery_from_cloud_event, handle_delivery
from bloom.platform.registry import Deployment, DeploymentOptions, FunctionSpec, Sdk, job_topic_name, register
from bloom.platform.topics import ScheduledRun, Topic, declare_topic

PayloadT = TypeVar("PayloadT", bound=BaseModel)
EventEntry = Callable[[Any], None]
_log = get_logger("bloom.events")
JOB_TIMEOUT_S = 300


def _entry(name: str, module: str, deliver: Callable[[Delivery], str]) -> EventEntry:
    """A functions-framework CloudEvent function that hands the Pub/Sub message to `deliver`."""
    import functions_framework

    def entry(cloud_event: Any) -> None:
        try:
            delivery = delivery_from_cloud_event(cloud_event.data, str(cloud_event["id"]))
        except MalformedDelivery as exc:
            _log.error("malformed delivery acknowledged", extra={"reason": str(exc), "function": name})
            return
        deliver(delivery)

    entry.__name__ = entry.__qualname__ = name
    entry.__module__ = module
    registered: EventEntry = functions_framework.cloud_event(entry)
    return registered


def _register_subscriber(
    handler: Callable[[Event[PayloadT]], None],
    topic: Topic[PayloadT],
    summary: str,
    deployment: Deployment,
    cron: str | None = None,
    time_zone: str | None = None,
) -> EventEntry:
    """Register a Pub/Sub-triggered function; every subscriber records processed events, hence Firestore."""
    assert_not_emulated_in_production()
    name = handler.__name__

    def deliver(delivery: Delivery) -> str:
        return handle_delivery(name, topic.name, topic.payload, handler, delivery)

    entry = _entry(name, handler.__module__, deliver)
    register(
        FunctionSpec(
            name=name,
            module=handler.__module__,
            kind="event" if cron is None else "scheduled",
            entry=entry,
            summary=summary,
            deployment=replace(deployment, sdks=tuple(sorted(set(deployment.sdks) | {Sdk.FIRESTORE}))),
            topic=topic,
            cron=cron,
            time_zone=time_zone,
            extra={"deliver": deliver},
        )
    )
    return entry


def event_function(
    topic: Topic[PayloadT],
    *,
    summary: str,
    **options: Unpack[DeploymentOptions],
) -> Callable[[Callable[[Event[PayloadT]], None]], EventEntry]:
    """Declare a subscriber: at most one successful run per event id; exceptions ask Pub/Sub to redeliver.

    `options` are its `Deployment` (secrets, SDKs, capabilities, topics it emits, memory, timeout)."""
    deployment = Deployment(**options)

    def decorate(handler: Callable[[Event[PayloadT]], None]) -> EventEntry:
        return _register_subscriber(handler, topic, summary, deployment)

    return decorate


def scheduled_function(
    cron: str,
    *,
    summary: str,
    time_zone: str = "Etc/UTC",
    **options: Unpack[DeploymentOptions],
) -> Callable[[Callable[[Event[ScheduledRun]], None]], EventEntry]:
    """Declare a job fired by Cloud Scheduler through its own Pub/Sub topic, on `cron` in `time_zone`; `options`
    are its `Deployment` (a job's timeout is 300 s unless it says otherwise)."""
    options.setdefault("timeout_s", JOB_TIMEOUT_S)
    deployment = Deployment(**options)

    def decorate(handler: Callable[[Event[ScheduledRun]], None]) -> EventEntry:
        name = handler.__name__
        topic = declare_topic(job_topic_name(name), ScheduledRun, f"Fires the scheduled job {name}")
        return _register_subscriber(handler, topic, summary, deployment, cron=cron, time_zone=time_zone)

    return decorate
