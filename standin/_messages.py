"""Turning a message body (JSON or multipart) into a recorded Message, with the checks Discord applies."""

from __future__ import annotations

from typing import Any

from standin._cdn import store_file
from standin._http import ApiError, Upload
from standin._records import Message, StoredFile
from standin._state import State

__all__ = ["apply_edit", "new_message", "store_uploads", "validate_body"]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_ROWS = 5
MAX_FILES = 10


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(400, f"Invalid Form Body ({field}: {message})", 50035)


def validate_body(payload: dict[str, Any], uploads: list[Upload], *, new: bool) -> None:
    """Reject what Discord rejects: empty messages, oversized content, too many embeds, rows or files."""
    content = payload.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        raise _invalid("content", f"Must be {MAX_CONTENT} or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        raise _invalid("embeds", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = sum(len(str(e.get("title", ""))) + len(str(e.get("description", ""))) for e in embeds)
    if total > MAX_EMBED_TOTAL:
        raise _invalid("embeds", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")
    if len(payload.get("components") or []) > MAX_ROWS:
        raise _invalid("components", f"Must be {MAX_ROWS} or fewer in length.")
    if len(uploads) > MAX_FILES:
        raise _invalid("files", f"Must be {MAX_FILES} or fewer in length.")
    if new and not (content or embeds or payload.get("components") or uploads or payload.get("sticker_ids")):
        raise ApiError(400, "Cannot send an empty message", 50006)


def store_uploads(state: State, uploads: list[Upload], channel_id: int, limit: int) -> list[StoredFile]:
    """Keep the uploaded files; 413 (code 40005) when together they exceed the upload limit."""
    if sum(len(u.data) for u in uploads) > limit:
        raise ApiError(413, "Request entity too large", 40005)
    ordered = sorted(uploads, key=lambda u: u.index)
    return [store_file(state, u.data, u.filename, u.content_type, channel_id=channel_id) for u in ordered]


def new_message(
    state: State,
    channel_id: int,
    payload: dict[str, Any],
    uploads: list[Upload],
    *,
    limit: int,
    **fields: Any,
) -> Message:
    """Build (not yet record) a message from a create body; `fields` sets flags, webhook_id, interaction_id…"""
    validate_body(payload, uploads, new=True)
    channel = state.channels.get(channel_id)
    flags = int(payload.get("flags") or 0) | int(fields.pop("flags", 0))
    return Message(
        id=state.next_id(),
        channel_id=channel_id,
        guild_id=None if channel is None else channel.guild_id,
        author_id=state.bot_user_id,
        content=str(payload.get("content") or ""),
        embeds=list(payload.get("embeds") or []),
        components=list(payload.get("components") or []),
        attachments=store_uploads(state, uploads, channel_id, limit),
        flags=flags,
        **fields,
    )


def apply_edit(state: State, msg: Message, payload: dict[str, Any], uploads: list[Upload], *, limit: int) -> Message:
    validate_body(payload, uploads, new=False)
    files = store_uploads(state, uploads, msg.channel_id, limit)
    return state.edit_message(msg, payload, files)
