"""Requirements: the chunks nearest to the payer and state's requirements query (a vector query with equality
pre-filters on payer and state), then their checklist items (`extraction.py`).

The query vector was embedded at ingestion (`requirementQueries`), so a request costs one read and one vector
query and never loads an embedding model (docs/credentialing.md, "Requirements", says what that trades away).
"""

from __future__ import annotations

from bloom.credentialing.extraction import extract
from bloom.credentialing.models import ChunkRecord, query_vector_id
from bloom.credentialing.repository import SourcesWork
from bloom.credentialing.schemas import RequirementItem, RequirementList, RequirementsQuery
from bloom.practice.errors import THERAPIST_NOT_FOUND
from bloom.users.schemas import Caller

TOP_K = 5


def nearest_chunks(payer: str, state: str, vector: list[float], limit: int = TOP_K) -> list[ChunkRecord]:
    """The `limit` chunks of the payer and state closest to `vector` (for requirements and `make eval`)."""
    with SourcesWork() as uow:
        return uow.chunks.nearest(payer, state, vector, limit)


def requirements_for(therapist_id: str, payer: str, state: str) -> list[RequirementItem]:
    """The checklist items a therapist must meet to be credentialed with `payer` in `state`, each citing its
    chunk; empty when no source of that payer and state has been ingested. For other areas (applications):
    the caller has already decided who may see them. `therapist_id` names whose checklist it is; the items
    depend on the payer and state only (see the module docstring)."""
    del therapist_id  # the query is per payer and state (docs/credentialing.md, "Requirements")
    with SourcesWork() as uow:
        query = uow.query_vectors.get(query_vector_id(payer, state))
    if query is None:
        return []
    return extract(nearest_chunks(payer, state, query.embedding))


def requirements(caller: Caller, query: RequirementsQuery) -> RequirementList:
    """A therapist's own requirements, or any therapist's for a practice admin; anyone else gets 404."""
    own = caller.user.therapist_profile_id
    therapist_id = query.therapist_id or own
    if therapist_id is None or not (caller.is_practice_admin or (caller.is_therapist and therapist_id == own)):
        raise THERAPIST_NOT_FOUND.error()
    return RequirementList(items=requirements_for(therapist_id, query.payer, query.state))
