"""Front, the team's inbox, through its API (`FRONT_API_URL`, Bearer `FRONT_API_TOKEN`). Facts and their sources
are in docs/livechat.md ("Front").

- `POST /channels/{FRONT_CHANNEL_ID}/incoming_messages` ("Receive custom messages", custom channels only) puts a
  user's message in the inbox: `sender.handle` is an opaque handle derived from the user id (Front needs a handle
  per sender; never an email or a name), `metadata.thread_ref` the same stable reference, so each user has one
  conversation, and `metadata.headers.bloom_message_id` our message id (the endpoint has no idempotency key and no
  `external_id`; `headers` is its field for our own data, kept on the message). JSON, or multipart with
  `attachments` when files go with it. Front answers 202 `{status: "accepted", message_uid}`.
- `GET /contacts/alt:custom:{handle}/conversations`, then `GET /conversations/{id}/messages` (newest first): find a
  message we posted by that header, when the answer to an earlier post was lost.
- `DELETE /contacts/alt:custom:{handle}` erases the contact the channel created for that handle (404: none).

No answer, 429 or 5xx: `TransientEventError` (the subscriber's event is redelivered); another refusal is
permanent. Logs carry the status only (the path holds a user's handle: not logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import ConfigDict, Field

from bloom.core.errors import PermanentEventError, TransientEventError
from bloom.core.models import CamelModel, RequestModel
from bloom.core.settings import get_settings
from bloom.livechat.schemas import TEXT_MAX
from bloom.platform.store.repository import is_valid_doc_id

if TYPE_CHECKING:
    import requests

SERVICE = "front"
HANDLE_PREFIX = "bloom-user-"
MESSAGE_ID_HEADER = "bloom_message_id"  # in `metadata.headers`: our id on the message in Front
RECENT_CONVERSATIONS = 5  # a user has one conversation (one thread_ref); merges and splits may add a few
RECENT_MESSAGES = 50  # a lost answer is looked for within minutes: among the conversation's newest messages


@dataclass(frozen=True)
class OutgoingFile:
    """A file sent with a message: its bytes as checked and stored."""

    name: str
    content_type: str
    data: bytes


def handle_of(user_id: str) -> str:
    """The user's sender handle and thread reference in Front: opaque, stable, ids only."""
    return HANDLE_PREFIX + user_id


def user_of(handle: str) -> str | None:
    """The user a handle or thread reference names, or None for anything else."""
    if not handle.startswith(HANDLE_PREFIX):
        return None
    user_id = handle.removeprefix(HANDLE_PREFIX)
    return user_id if is_valid_doc_id(user_id) else None


def contact_alias(user_id: str) -> str:
    """The contact the custom channel made for the user's handle, as a resource alias (`alt:{source}:{handle}`)."""
    return f"alt:custom:{quote(handle_of(user_id), safe='')}"


def _api() -> tuple[str, str, dict[str, str]]:
    settings = get_settings()
    channel, token = settings.front_channel_id, settings.front_api_token
    if channel is None or token is None:
        raise PermanentEventError("front: not configured (FRONT_CHANNEL_ID, FRONT_API_TOKEN)")
    return settings.front_api_url.rstrip("/"), channel, {"Authorization": f"Bearer {token.get_secret_value()}"}


def _check(action: str, response: requests.Response, *, ok: tuple[int, ...] = ()) -> None:
    from bloom.platform.http_client import RETRY_STATUSES

    if response.ok or response.status_code in ok:
        return
    if response.status_code in RETRY_STATUSES:
        raise TransientEventError(f"front {action}: HTTP {response.status_code}")
    raise PermanentEventError(f"front {action}: HTTP {response.status_code}")


def post_incoming(user_id: str, message_id: str, text: str, files: list[OutgoingFile]) -> str:
    """Put a user's message in their Front conversation; returns Front's message uid."""
    import requests

    from bloom.platform.http_client import integration_session

    base, channel, headers = _api()
    handle = handle_of(user_id)
    url = f"{base}/channels/{quote(channel, safe='')}/incoming_messages"
    body = text or ("Voice note" if any(f.content_type.startswith("audio/") for f in files) else "Attachment")
    try:
        with integration_session(SERVICE, log_path=False) as session:
            if files:
                form = {
                    "sender[handle]": handle,
                    "body": body,
                    "body_format": "markdown",
                    "metadata[thread_ref]": handle,
                    f"metadata[headers][{MESSAGE_ID_HEADER}]": message_id,
                }
                uploads = [("attachments", (f.name, f.data, f.content_type)) for f in files]
                response = session.post(url, data=form, files=uploads, headers=headers)
            else:
                payload: dict[str, Any] = {
                    "sender": {"handle": handle},
                    "body": body,
                    "body_format": "markdown",
                    "metadata": {"thread_ref": handle, "headers": {MESSAGE_ID_HEADER: message_id}},
                }
                response = session.post(url, json=payload, headers=headers)
    except requests.RequestException as exc:
        raise TransientEventError(f"front incoming message: {type(exc).__name__}") from None
    _check("incoming message", response)
    uid = response.json().get("message_uid")
    if not isinstance(uid, str) or not uid:
        raise PermanentEventError("front incoming message: no message_uid in the answer")
    return uid


def find_incoming(user_id: str, message_id: str) -> str | None:
    """Front's id of the message we posted as `message_id` (by its `metadata.headers`), or None when Front has not
    got it, or will not say (no contact yet, a token without read scopes: the caller then posts it)."""
    import requests

    from bloom.platform.http_client import integration_session

    base, _, headers = _api()
    try:
        with integration_session(SERVICE, log_path=False) as session:
            listed = session.get(
                f"{base}/contacts/{contact_alias(user_id)}/conversations",
                params={"limit": RECENT_CONVERSATIONS},
                headers=headers,
            )
            _check("contact conversations", listed, ok=(401, 403, 404))
            conversations = listed.json().get("_results", []) if listed.ok else []
            for conversation in conversations:
                page = session.get(
                    f"{base}/conversations/{quote(str(conversation.get('id', '')), safe='')}/messages",
                    params={"limit": RECENT_MESSAGES},
                    headers=headers,
                )
                _check("conversation messages", page, ok=(401, 403, 404))
                for message in page.json().get("_results", []) if page.ok else []:
                    if ((message.get("metadata") or {}).get("headers") or {}).get(MESSAGE_ID_HEADER) == message_id:
                        found = message.get("id")
                        return found if isinstance(found, str) and found else None
    except requests.RequestException as exc:
        raise TransientEventError(f"front find message: {type(exc).__name__}") from None
    return None


def download(url: str, max_bytes: int) -> bytes | None:
    """A reply's file from Front: only a URL on `FRONT_API_URL`'s origin (never an arbitrary one), with the token,
    no redirects followed, at most `max_bytes`; None when it cannot be had."""
    import requests

    from bloom.platform.http_client import integration_session

    base, _, headers = _api()
    wanted, api = urlsplit(url), urlsplit(base)
    if (wanted.scheme, wanted.netloc) != (api.scheme, api.netloc) or not wanted.path.startswith(api.path + "/"):
        return None
    try:
        with (
            integration_session(SERVICE, log_path=False) as session,
            session.get(url, headers=headers, stream=True, allow_redirects=False) as response,
        ):
            if response.status_code != 200:
                return None
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    return None
            return bytes(data)
    except requests.RequestException:
        return None


def delete_contact(user_id: str) -> None:
    """Erase the contact Front made for the user's handle (nothing to do when there is none)."""
    import requests

    from bloom.platform.http_client import integration_session

    base, _, headers = _api()
    try:
        with integration_session(SERVICE, log_path=False) as session:
            response = session.delete(f"{base}/contacts/{contact_alias(user_id)}", headers=headers)
    except requests.RequestException as exc:
        raise TransientEventError(f"front delete contact: {type(exc).__name__}") from None
    _check("delete contact", response, ok=(404,))


# ---------------------------------------------------------------- what Front sends the channel's webhook


class FrontRecipient(RequestModel):
    handle: str = Field(default="", max_length=500)
    role: str | None = Field(default=None, max_length=20)


class FrontAuthor(RequestModel):
    """The teammate who replied (their name is shown to the user; an email is never stored)."""

    first_name: str | None = Field(default=None, max_length=200)


class FrontAttachment(RequestModel):
    """A file of a teammate's reply: `url` is Front's download link (fetched only on Front's API origin)."""

    url: str = Field(default="", max_length=2000)
    filename: str | None = Field(default=None, max_length=500)
    content_type: str | None = Field(default=None, max_length=200)


class FrontOutboundMessage(RequestModel):
    id: str = Field(default="", max_length=200)
    text: str | None = Field(default=None, max_length=TEXT_MAX)
    body: str | None = Field(default=None, max_length=TEXT_MAX * 4)
    author: FrontAuthor | None = None
    recipients: list[FrontRecipient] = Field(default_factory=list, max_length=50)
    attachments: list[FrontAttachment] = Field(default_factory=list, max_length=10)


class FrontChannelMetadata(RequestModel):
    external_conversation_id: str | None = Field(default=None, max_length=500)
    external_conversation_ids: list[str] = Field(default_factory=list, max_length=50)


class FrontChannelRequest(RequestModel):
    """A request Front's channel makes: `authorization` when the channel is connected, `message` when a teammate
    replies (snake_case on the wire), others (`delete`, `message_imported`…) acknowledged without effect."""

    type: str = Field(max_length=100)
    payload: FrontOutboundMessage | None = None
    metadata: FrontChannelMetadata | None = None

    def reply_user(self) -> str | None:
        """The user a reply goes to: the conversation's thread reference, else the recipient's handle."""
        refs = [*(self.metadata.external_conversation_ids if self.metadata else [])]
        if self.metadata and self.metadata.external_conversation_id:
            refs.append(self.metadata.external_conversation_id)
        refs += (
            [r.handle for r in sorted(self.payload.recipients, key=lambda r: r.role != "to")] if self.payload else []
        )
        return next((user for user in map(user_of, refs) if user is not None), None)


def _absent(value: object) -> bool:
    return value is None


class FrontChannelAnswer(CamelModel):
    """What Front expects back (`type: success`): for a `message`, the ids that thread it; for `authorization`,
    the `webhook_url` Front sends the channel's later requests to. Fields that do not apply are left out."""

    model_config = ConfigDict(alias_generator=None, populate_by_name=True)

    type: Literal["success"] = "success"
    external_id: str | None = Field(default=None, exclude_if=_absent)
    external_conversation_id: str | None = Field(default=None, exclude_if=_absent)
    webhook_url: str | None = Field(default=None, exclude_if=_absent)
