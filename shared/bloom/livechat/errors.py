"""The live chat's errors. The socket answers with the messages the original backend's gateway sends."""

from __future__ import annotations

from bloom.core.errors import ErrorCatalogue

ERRORS = ErrorCatalogue("livechat")
CHAT_NOT_ALLOWED = ERRORS.declare(403, "LIVE_CHAT_NOT_ALLOWED")
MESSAGE_REFUSED = ERRORS.declare(409, "Failed to send message")
