"""The one page-cursor codec: what it encodes decodes to the same position; anything else is INVALID_CURSOR."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from bloom.core.errors import BadRequest
from bloom.platform import cursors
from bloom.platform.cursors import AfterId, AfterTimeAndId

AT = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_positions_round_trip() -> None:
    assert cursors.decode(cursors.encode(AfterId(id="abc-123")), AfterId) == AfterId(id="abc-123")
    position = AfterTimeAndId(at=AT, id="t1")
    assert cursors.decode(cursors.encode(position), AfterTimeAndId) == position
    assert cursors.decode(None, AfterId) is None


@pytest.mark.parametrize(
    "forged",
    [
        "../../users/x",  # a path, not base64
        b64(b"../../users/x"),  # base64 of a path
        b64(b'{"id": "../../users/x"}'),  # the right shape, an id Firestore would read as a path
        b64(b'{"id": "__reserved__"}'),
        b64(b'{"id": ""}'),
        b64(b'{"id": 7}'),  # wrong type
        b64(b'{"id": "a", "admin": true}'),  # an unknown field
        b64(b"[1, 2]"),  # JSON, not an object
        b64(b"not json at all"),
        b64(b"\xff\xfe\xfd"),  # not UTF-8
        "%%%",
        "YWJj!",  # outside the base64url alphabet
        "a",  # truncated base64
        "",
        "A" * (cursors.MAX_CURSOR_CHARS + 1),  # huge
    ],
)
def test_forged_cursors_are_refused(forged: str) -> None:
    with pytest.raises(BadRequest, match="INVALID_CURSOR"):
        cursors.decode(forged, AfterId)


def test_a_cursor_of_another_kind_or_with_a_naive_time_is_refused() -> None:
    with pytest.raises(BadRequest, match="INVALID_CURSOR"):
        cursors.decode(cursors.encode(AfterId(id="t1")), AfterTimeAndId)
    with pytest.raises(BadRequest, match="INVALID_CURSOR"):
        cursors.decode(b64(b'{"at": "2026-05-01T12:30:00", "id": "t1"}'), AfterTimeAndId)
    with pytest.raises(BadRequest, match="INVALID_CURSOR"):
        cursors.decode(b64(b'{"at": "yesterday", "id": "t1"}'), AfterTimeAndId)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_outside_what_utc_can_hold_is_refused(at: str) -> None:
    """Such a time decoded, then overflowed in Firestore's encoder: a 500 (review of issue 18)."""
    with pytest.raises(BadRequest, match="INVALID_CURSOR"):
        cursors.decode(b64(f'{{"at": "{at}", "id": "t1"}}'.encode()), AfterTimeAndId)


def test_times_are_kept_in_utc() -> None:
    position = cursors.decode(b64(b'{"at": "2026-05-01T12:30:00+02:00", "id": "t1"}'), AfterTimeAndId)
    assert position is not None and position.at == datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    assert position.at.utcoffset() is not None and not position.at.utcoffset()
