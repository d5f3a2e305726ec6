"""Process settings, read once from the environment."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel

DEFAULT_PROJECT = "demo-bloom"


class Settings(BaseModel, frozen=True):
    project_id: str
    environment: str
    cors_origins: tuple[str, ...]
    deployed: bool
    expose_metrics: bool
    outbox_publish_timeout_s: float
    outbox_sweep_after_s: float
    trusted_proxy_hops: int


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    project = env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT") or DEFAULT_PROJECT
    return Settings(
        project_id=project,
        environment=env.get("BLOOM_ENV", "local"),
        cors_origins=_split(env.get("BLOOM_CORS_ORIGINS", "http://localhost:3000")),
        deployed=bool(env.get("K_SERVICE")),
        expose_metrics=env.get("BLOOM_EXPOSE_METRICS") == "1",
        outbox_publish_timeout_s=float(env.get("BLOOM_OUTBOX_PUBLISH_TIMEOUT_S", "10")),
        outbox_sweep_after_s=float(env.get("BLOOM_OUTBOX_SWEEP_AFTER_S", "30")),
        trusted_proxy_hops=int(env.get("BLOOM_TRUSTED_PROXY_HOPS", "0")),
    )
