"""Vertex AI text embeddings (`EMBEDDINGS=vertex`): `POST …/publishers/google/models/{model}:predict`.

`outputDimensionality` asks for `EMBEDDING_DIMENSION` values, so vectors fit the same index as the local model's; Vertex
returns them unit-length. The function's service account calls with its own credentials (Application Default
Credentials, scope cloud-platform). Texts are never logged; the one HTTP client bounds time and retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bloom.core.settings import get_settings
from bloom.credentialing.embeddings import Task
from bloom.credentialing.models import EMBEDDING_DIMENSION

MODEL = "text-embedding-005"
BATCH = 100  # Vertex's limit of instances per request (and 20k tokens)
TIMEOUT_S = (3.05, 30.0)
_TASK_TYPES: dict[Task, str] = {"document": "RETRIEVAL_DOCUMENT", "query": "RETRIEVAL_QUERY"}


class VertexEmbedder:
    name = MODEL

    def __init__(self) -> None:
        import google.auth

        settings = get_settings()
        self._credentials: Any
        self._credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        self._url = (
            f"https://{settings.vertex_location}-aiplatform.googleapis.com/v1/projects/{settings.project_id}"
            f"/locations/{settings.vertex_location}/publishers/google/models/{MODEL}:predict"
        )

    def _token(self) -> str:
        from google.auth.transport.requests import Request

        if not self._credentials.valid:
            self._credentials.refresh(Request())
        return str(self._credentials.token)

    def embed(self, texts: Sequence[str], task: Task = "document") -> list[list[float]]:
        from bloom.platform.http_client import integration_session

        vectors: list[list[float]] = []
        with integration_session("vertex-embeddings", idempotent_post=True) as session:
            for start in range(0, len(texts), BATCH):
                body = {
                    "instances": [
                        {"content": text, "task_type": _TASK_TYPES[task]} for text in texts[start : start + BATCH]
                    ],
                    "parameters": {"outputDimensionality": EMBEDDING_DIMENSION},
                }
                response = session.post(
                    self._url, json=body, headers={"Authorization": f"Bearer {self._token()}"}, timeout=TIMEOUT_S
                )
                response.raise_for_status()
                vectors.extend([float(v) for v in p["embeddings"]["values"]] for p in response.json()["predictions"])
        return vectors
