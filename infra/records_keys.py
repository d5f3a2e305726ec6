"""`python -m infra.cli records rotate-keys`: re-wrap every patient's data key, and the search key, under the
KEK's current primary (after a Cloud KMS rotation, or `rotate_local_keyset` locally). Records are not re-encrypted:
their data keys do not change, only how those keys are wrapped.

Resumable: after each page (one transaction) the last owner id done is written to the cursor file; a run that
stops (Ctrl-C, a lost connection) continues from there when started again, and the file is removed at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = 100


@dataclass(frozen=True)
class Rotation:
    rewrapped: int  # data keys re-wrapped by this run
    resumed_after: str | None  # the owner id this run continued after, if it resumed


def rotate_keys(cursor_file: Path, *, page_size: int = PAGE_SIZE, advance: Callable[[int], object]) -> Rotation:
    """Re-wrap every data key after the saved cursor, then the search key; `advance(n)` after each page (n keys
    looked at, destroyed ones included)."""
    from bloom.platform import crypto

    after = json.loads(cursor_file.read_text())["after"] if cursor_file.exists() else None
    resumed_after, total = after, 0
    while True:
        rewrapped, last, looked_at = crypto.rewrap_data_keys(after, page_size)
        if last is None:
            break
        total += rewrapped
        after = last
        cursor_file.parent.mkdir(parents=True, exist_ok=True)
        cursor_file.write_text(json.dumps({"after": after}))
        advance(looked_at)
    crypto.rewrap_search_key()
    cursor_file.unlink(missing_ok=True)
    return Rotation(rewrapped=total, resumed_after=resumed_after)
