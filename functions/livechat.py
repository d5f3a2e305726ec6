"""Live chat with Front as the team's inbox: the relay of users' messages to Front, Front's signed webhook for the
team's replies, attachments (upload, signed-URL fetch), the unread-reply email job and erasure. The Socket.IO
service and `PATCH front-chat/read` are elsewhere (`functions/livechat_socket.py`, `functions/livechat_read.py`).
"""

from __future__ import annotations

from bloom.api import HttpContext, http_function
from bloom.crm import service as crm
from bloom.livechat import attachments, front, relay, unread
from bloom.livechat import service as livechat
from bloom.livechat.errors import CHAT_NOT_ALLOWED, MESSAGE_REFUSED
from bloom.livechat.events import MESSAGE_SENT, MessageSent
from bloom.livechat.front import FrontChannelAnswer, FrontChannelRequest
from bloom.platform.events import Event
from bloom.platform.http import Empty, Reply
from bloom.platform.http import HttpContext as PublicContext
from bloom.platform.registry import Capability, Role, Sdk
from bloom.platform.subscriber import event_function, scheduled_function
from bloom.platform.topics import ScheduledRun
from bloom.platform.webhook_verification import HmacSignature
from bloom.platform.webhooks import WebhookDelivery, WebhookRequest, webhook_function
from bloom.users.events import USER_DELETED, UserDeleted

TAGS = ("live-chat",)
FRONT_SECRETS = ("FRONT_API_TOKEN",)
STORE = (Capability.UPLOADS_BUCKET,)
FRONT_WEBHOOK = "/api/webhooks/front"
FRONT_SIGNATURE = HmacSignature(
    header="x-front-signature",
    credential="FRONT_APP_SECRET",
    encoding="base64",
    timestamp_header="x-front-request-timestamp",
    separator=b":",
    milliseconds_allowed=True,
)


# ---------------------------------------------------------------- users' messages → Front


@event_function(
    MESSAGE_SENT,
    summary="Post a user's chat message (and its files) to their Front conversation, once per message",
    secrets=FRONT_SECRETS,
    sdks=(Sdk.FIRESTORE, Sdk.REQUESTS, Sdk.STORAGE),
    uses=STORE,
    memory_mb=512,  # a message's file (≤ 25 MB) is held twice: read, then in the multipart body
)
def relay_chat_message_to_front(event: Event[MessageSent]) -> None:
    relay.relay_to_front(event.payload.user_id, event.payload.message_id)


# ---------------------------------------------------------------- Front → the user's sockets


def front_message_key(request: WebhookRequest[FrontChannelRequest]) -> str:
    """One delivery per Front message (a channel request without one: per type, e.g. `authorization`)."""
    payload = request.body.payload
    return f"{request.body.type}:{payload.id if payload is not None else ''}"


@webhook_function(
    FRONT_WEBHOOK,
    verify=FRONT_SIGNATURE,
    body=FrontChannelRequest,
    idempotency_key=front_message_key,
    respond_inline=True,
    response=FrontChannelAnswer,
    accepted_status=200,  # Front's channel counts a 200 as delivered (the original backend answers 200)
    summary=(
        "Front's custom channel: a teammate's reply (`type: message`) becomes the user's `agent_reply`, once per"
        " Front message; signed with `X-Front-Signature` (base64 HMAC-SHA256 of `{X-Front-Request-Timestamp}:{raw"
        " body}`, ±5 minutes); the reply's files are brought into the private bucket"
    ),
    secrets=FRONT_SECRETS,
    sdks=(Sdk.FIRESTORE, Sdk.REQUESTS, Sdk.STORAGE),
    uses=STORE,
    memory_mb=512,  # a reply's files are downloaded (≤ 25 MB each) before they are stored
)
def front_webhook(delivery: WebhookDelivery[FrontChannelRequest]) -> FrontChannelAnswer:
    return relay.apply_front_request(delivery.body, delivery.received_at, FRONT_WEBHOOK)


# ---------------------------------------------------------------- attachments


@http_function(
    "POST",
    "/api/v1/front-chat/attachments",
    role=Role.USER,
    response=None,
    summary=(
        "Send a file in the live chat (multipart `file`): JPEG, PNG, GIF, WebP, WebM/MP4/MPEG/Ogg audio or PDF up"
        " to 25 MB whose bytes are that type; stored privately, relayed to Front; 204"
    ),
    errors=(
        attachments.NO_FILE,
        attachments.BYTES_MISMATCH,
        attachments.FILE_TOO_LARGE,
        CHAT_NOT_ALLOWED,
        MESSAGE_REFUSED,
    ),
    sdks=(Sdk.FIRESTORE, Sdk.PUBSUB, Sdk.STORAGE),
    uses=STORE,
    emits=(MESSAGE_SENT,),
    rate_limit="60/hour per user",
    max_body_bytes=attachments.MAX_ATTACHMENT_BYTES + attachments.MULTIPART_OVERHEAD,
    memory_mb=512,
    status=204,
    tags=TAGS,
)
def send_chat_attachment(ctx: HttpContext[Empty, Empty]) -> Reply:
    if not livechat.chat_allowed(ctx.caller):
        raise CHAT_NOT_ALLOWED.error()
    upload = attachments.read_upload(ctx.raw_body, ctx.headers.get("content-type", ""))
    attachments.send_attachment(ctx.caller.user.id, upload)
    return Reply(204, None)


@http_function(
    "GET",
    "/api/v1/front-chat/attachments/{token}",
    role=Role.PUBLIC,
    response=None,
    secret_path=True,
    summary="A live chat file by the unguessable token in its message's `url`: 302 to a signed URL (5 minutes)",
    errors=(attachments.ATTACHMENT_NOT_FOUND,),
    sdks=(Sdk.STORAGE,),
    uses=(*STORE, Capability.SIGN_AS_SELF),
    rate_limit="300/minute per ip",
    status=302,
    tags=TAGS,
)
def get_chat_attachment(ctx: PublicContext[Empty, Empty]) -> Reply:
    return Reply(302, None, {"Location": attachments.signed_url(ctx.path["token"])})


# ---------------------------------------------------------------- unread-reply emails


@scheduled_function(
    "* * * * *",
    summary=(
        "Email (a Mailchimp event, no message text) users whose team reply stays unread: 5 minutes after it, then"
        " at most every 2 hours, 3 at most; once per window however often it runs"
    ),
    secrets=("MAILCHIMP_API_KEY",),
    sdks=(Sdk.FIRESTORE, Sdk.REQUESTS),
)
def email_unread_chat_replies(run: Event[ScheduledRun]) -> None:
    unread.send_unread_emails(
        run.payload.moment(), lambda user_id: crm.send_mailchimp_event(user_id, unread.UNREAD_EVENT)
    )


# ---------------------------------------------------------------- erasure


@event_function(
    USER_DELETED,
    summary="Erase a deleted user's live chat: its messages, the chat document and the files sent in it",
    sdks=(Sdk.FIRESTORE, Sdk.STORAGE),
    uses=STORE,
)
def erase_chat_of_deleted_user(event: Event[UserDeleted]) -> None:
    relay.erase_chat(event.payload.user_id)


@event_function(
    USER_DELETED,
    summary="Erase a deleted user's Front contact (retried while Front fails)",
    secrets=FRONT_SECRETS,
    sdks=(Sdk.REQUESTS,),
)
def erase_front_contact_of_deleted_user(event: Event[UserDeleted]) -> None:
    front.delete_contact(event.payload.user_id)
