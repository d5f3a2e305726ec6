"""The live chat's read receipt: the frontend sends it when the chat shows the team's replies."""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.core.time import utcnow
from bloom.livechat import service as livechat
from bloom.platform.http import Empty, Reply
from bloom.platform.registry import Role


@http_function(
    "PATCH",
    "/api/v1/front-chat/read",
    role=Role.USER,
    response=None,
    summary="Live chat read receipt: the caller has read every team reply so far (204)",
    status=204,
    tags=("livechat",),
)
def mark_live_chat_read(ctx: HttpContext[Empty, Empty]) -> Reply:
    livechat.mark_read(ctx.caller.user.id, utcnow())
    return Reply(204, None)
