"""Auth-emulator ID tokens made into ones the API must refuse."""

from __future__ import annotations

import base64
import json
import time


def expired_copy(token: str) -> str:
    """The emulator's tokens are unsigned; the same claims with `exp` in the past make an expired token."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"
