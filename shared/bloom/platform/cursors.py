"""Page cursors: one codec for every paged endpoint, and one error for a cursor that is not ours.

A cursor is the position a page ended at, as a small typed model (`AfterId`, `AfterTimeAndId`), serialised as
unpadded URL-safe base64 of compact JSON. It is opaque to callers but not trusted: `decode` checks everything
it hands back (the length, the alphabet, the JSON, the exact fields and their types, document ids Firestore
accepts, timezone-aware times), so a forged cursor (`../../users/x`, garbage, another endpoint's cursor) is a
400 `INVALID_CURSOR` and never reaches a query. A cursor is a position, not a grant: every query still filters
to what the caller may see, so a well-formed cursor naming someone else's document reveals nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from bloom.core.errors import ErrorCatalogue
from bloom.core.time import to_utc
from bloom.platform.store.repository import is_valid_doc_id

ERRORS = ErrorCatalogue("cursors")
INVALID_CURSOR = ERRORS.declare(400, "INVALID_CURSOR")
MAX_CURSOR_CHARS = 300  # a position is an id and a time: far shorter


Cursor = Annotated[str, Field(description="The `nextCursor` of the previous page")]
"""A query parameter taking a cursor: any string reaches `decode`, which alone refuses it (INVALID_CURSOR)."""


def _document_id(value: str) -> str:
    if not is_valid_doc_id(value):
        raise ValueError("not a document id")
    return value


DocumentId = Annotated[str, AfterValidator(_document_id)]


class Position(BaseModel):
    """Where a page ended. Subclasses name the fields their query continues after; nothing else is accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)  # built on first use


class AfterId(Position):
    """A page in document-id order ended at the document `id`."""

    id: DocumentId


class AfterTimeAndId(Position):
    """A page ordered by a time and then the document id ended at (`at`, `id`)."""

    at: Annotated[AwareDatetime, AfterValidator(to_utc)]  # in range for Firestore, whatever the offset
    id: DocumentId


PositionT = TypeVar("PositionT", bound=Position)


def encode(position: Position) -> str:
    raw = position.model_dump_json().encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, position: type[PositionT]) -> PositionT | None:
    """The position a cursor of `position`'s kind names (None for no cursor); 400 INVALID_CURSOR for anything
    else."""
    if cursor is None:
        return None
    if not 0 < len(cursor) <= MAX_CURSOR_CHARS:
        raise INVALID_CURSOR.error()
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return position.model_validate_json(raw)
    except (binascii.Error, ValueError):  # bad base64, bad JSON (ValidationError), wrong fields or types
        raise INVALID_CURSOR.error() from None
