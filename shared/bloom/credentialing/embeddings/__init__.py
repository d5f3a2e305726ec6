"""Text embeddings behind one interface, `Embedder`; `embedder()` gives this process's, loaded once.

`EMBEDDINGS=vertex` (deployed): Vertex AI's text embeddings over HTTP. `EMBEDDINGS=local` (the default; local
runs, tests, `make eval`): all-MiniLM-L6-v2 from a PyPI package, on numpy. Both give unit vectors of
`EMBEDDING_DIMENSION` (`models.py`) floats, so one Firestore vector index serves either. Only the ingestion
subscriber (and tools such as `make eval`) may import this package: `.importlinter` forbids it to every other
function module.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, Protocol

from bloom.core.settings import get_settings

Task = Literal["document", "query"]  # what a text is for: Vertex embeds queries and passages differently


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str], task: Task = "document") -> list[list[float]]:
        """One unit vector of `EMBEDDING_DIMENSION` floats per text, in order."""
        ...


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    """The configured embedder, built on first use and kept for the life of the worker."""
    if get_settings().embeddings == "vertex":
        from bloom.credentialing.embeddings.vertex import VertexEmbedder

        return VertexEmbedder()
    from bloom.credentialing.embeddings.local import LocalEmbedder

    return LocalEmbedder()
