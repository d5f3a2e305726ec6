"""`terraform/functions.json`: everything Terraform needs about functions, topics, jobs and indexes.

It is derived from the registry only; `python -m infra.cli manifest` rewrites it and a test fails when stale.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

from bloom.platform.buckets import all_buckets
from bloom.platform.registry import Capability, FunctionSpec, Sdk, ServiceSpec, discover, registered_services
from bloom.platform.store.indexes import all_indexes, all_ttl_fields, all_unindexed_fields
from bloom.platform.topics import all_topics

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "terraform" / "functions.json"


def load_everything() -> dict[str, FunctionSpec]:
    """Import every function and every bloom module so all declarations (indexes, TTLs, topics) are registered."""
    import bloom

    for module in pkgutil.walk_packages(bloom.__path__, prefix="bloom."):
        importlib.import_module(module.name)
    return discover()


def event_topics(specs: dict[str, FunctionSpec]) -> list[str]:
    """What the outbox can hold, so what the sweeper may republish: every topic but the scheduled jobs' (only
    Cloud Scheduler publishes there) and the storage notifications' (only Cloud Storage publishes there)."""
    jobs = {spec.topic.name for spec in specs.values() if spec.kind == "scheduled" and spec.topic is not None}
    notifications = {bucket.notify_topic.name for bucket in all_buckets() if bucket.notify_topic is not None}
    return [name for name in all_topics() if name not in jobs | notifications]


def publishes(spec: FunctionSpec, specs: dict[str, FunctionSpec]) -> list[str]:
    """The topics a function may publish to: those it emits, and every event topic for the outbox sweeper."""
    topics = {topic.name for topic in spec.deployment.emits}
    if Capability.OUTBOX_SWEEP in spec.deployment.uses:
        topics |= set(event_topics(specs))
    return sorted(topics)


def grants(spec: FunctionSpec, specs: dict[str, FunctionSpec]) -> dict[str, Any]:
    """Every IAM grant a function's declarations call for; functions with equal grants share one service account."""
    return {
        "firestore": Sdk.FIRESTORE in spec.deployment.sdks,
        "publishes": publishes(spec, specs),
        "secrets": sorted(spec.deployment.secrets),
        "uses": sorted(capability.value for capability in spec.deployment.uses),
    }


def grant_profile_id(profile: dict[str, Any]) -> str:
    """The service account id of a grant profile: a digest of the grants, so equal grants mean one account."""
    digest = hashlib.sha256(json.dumps(profile, sort_keys=True).encode()).hexdigest()
    return f"bloom-fn-{digest[:10]}"


def grant_profiles(specs: dict[str, FunctionSpec]) -> list[dict[str, Any]]:
    """One entry per distinct set of grants, with the functions that run as its account. A project holds 100
    service accounts by default: one per function (~130) would not fit, one per profile does, and each account
    still holds only what every one of its functions declares."""
    profiles: dict[str, dict[str, Any]] = {}
    for spec in specs.values():
        profile = grants(spec, specs)
        entry = profiles.setdefault(grant_profile_id(profile), {**profile, "functions": []})
        entry["functions"].append(spec.name)
    return [{"id": key, **profiles[key]} for key in sorted(profiles)]


def _function(spec: FunctionSpec, specs: dict[str, FunctionSpec]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": spec.name,
        "deploy_name": spec.deploy_name,
        "module": spec.module,
        "kind": spec.kind,
        "entry_point": spec.name,
        "summary": spec.summary,
        "tags": list(spec.tags),
        "secrets": list(spec.deployment.secrets),
        "sdks": [sdk.value for sdk in spec.deployment.sdks],
        "uses": sorted(capability.value for capability in spec.deployment.uses),
        "publishes": publishes(spec, specs),
        "grant_profile": grant_profile_id(grants(spec, specs)),
        "memory_mb": spec.deployment.memory_mb,
        "timeout_s": spec.deployment.timeout_s,
        "http": None,
        "topic": None,
        "schedule": None,
    }
    if spec.kind == "http":
        entry["http"] = {"method": spec.method, "path": spec.path, "role": str(spec.role)}
    else:
        assert spec.topic is not None
        entry["topic"] = spec.topic.name
    if spec.kind == "scheduled":
        entry["schedule"] = {"cron": spec.cron, "time_zone": spec.time_zone}
    return entry


def _service(spec: ServiceSpec) -> dict[str, Any]:
    """A Cloud Run service (terraform/cloud_run.tf): its own service account holds exactly these grants."""
    return {
        "name": spec.name,
        "deploy_name": spec.deploy_name,
        "module": spec.module,
        "app": spec.app,
        "summary": spec.summary,
        "prefixes": list(spec.prefixes),
        "secrets": list(spec.deployment.secrets),
        "sdks": [sdk.value for sdk in spec.deployment.sdks],
        "firestore": Sdk.FIRESTORE in spec.deployment.sdks,
        "publishes": sorted(topic.name for topic in spec.deployment.emits),
        "memory_mb": spec.deployment.memory_mb,
        "timeout_s": spec.deployment.timeout_s,
        "concurrency": spec.concurrency,
        "max_instances": spec.max_instances,
        "session_affinity": spec.session_affinity,
    }


def build_manifest() -> dict[str, Any]:
    specs = load_everything()
    return {
        "comment": "Generated from the function registry by `python -m infra.cli manifest`. Do not edit.",
        "functions": [_function(spec, specs) for spec in specs.values()],
        "services": [_service(spec) for spec in registered_services().values()],
        "grant_profiles": grant_profiles(specs),
        "topics": [{"name": topic.name, "description": topic.description} for topic in all_topics().values()],
        "indexes": [
            {"collection": index.collection, "fields": [{"field": f, "order": o} for f, o in index.fields]}
            for index in all_indexes()
        ],
        "ttl_fields": [{"collection": c, "field": f} for c, f in all_ttl_fields()],
        "unindexed_fields": [{"collection": c, "field": f} for c, f in all_unindexed_fields()],
        "secrets": sorted({secret for spec in specs.values() for secret in spec.deployment.secrets}),
        "buckets": [
            {
                "name": bucket.name,
                "env_var": bucket.env_var,
                "capability": bucket.capability.value,
                "cors_methods": list(bucket.cors_methods),
                "cors_headers": list(bucket.cors_headers),
                "notify_topic": bucket.notify_topic.name if bucket.notify_topic else None,
                "notify_prefix": bucket.notify_prefix,
                "expire_prefix": bucket.expire_prefix,
                "expire_after_days": bucket.expire_after_days,
            }
            for bucket in all_buckets()
        ],
    }


def render_manifest() -> str:
    return json.dumps(build_manifest(), indent=2, sort_keys=True) + "\n"


def write_manifest(path: Path = MANIFEST_PATH) -> bool:
    """Write the manifest; returns True when it changed."""
    text = render_manifest()
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
