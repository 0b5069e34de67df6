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


def _check_embed(index: int, embed: dict[str, Any]) -> int:
    """Discord's per-embed limits; returns the embed's size toward the 6000-character total."""
    texts = {
        "title": (str(embed.get("title") or ""), 256),
        "description": (str(embed.get("description") or ""), 4096),
        "footer.text": (str((embed.get("footer") or {}).get("text") or ""), 2048),
        "author.name": (str((embed.get("author") or {}).get("name") or ""), 256),
    }
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise _invalid(f"embeds.{index}.fields", "Must be 25 or fewer in length.")
    for n, f in enumerate(fields):
        texts[f"fields.{n}.name"] = (str(f.get("name") or ""), 256)
        texts[f"fields.{n}.value"] = (str(f.get("value") or ""), 1024)
    for name, (text, limit) in texts.items():
        if len(text) > limit:
            raise _invalid(f"embeds.{index}.{name}", f"Must be {limit} or fewer in length.")
    return sum(len(text) for text, _ in texts.values())


def _check_components(rows: list[dict[str, Any]], v2: bool) -> None:
    if not v2 and len(rows) > MAX_ROWS:
        raise _invalid("components", f"Must be {MAX_ROWS} or fewer in length.")
    seen: set[str] = set()
    stack = list(rows)
    while stack:
        comp = stack.pop()
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if not 1 <= len(str(custom_id)) <= 100:
                raise _invalid("components", "custom_id must be between 1 and 100 in length.")
            if custom_id in seen:
                raise _invalid("components", f"Component custom id cannot be duplicated ({custom_id})")
            seen.add(custom_id)
        stack.extend(comp.get("components") or [])
        if isinstance(comp.get("accessory"), dict):
            stack.append(comp["accessory"])


def _check_allowed_mentions(allowed: dict[str, Any] | None) -> None:
    """`parse` may not name a kind that is also listed by id, as Discord answers (50035)."""
    if allowed is None:
        return
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            raise _invalid(f"allowed_mentions.{kind}", f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.')


def validate_body(payload: dict[str, Any], uploads: list[Upload], *, new: bool) -> None:
    """Reject what Discord rejects: empty messages, oversized content or embeds, too many rows or files,
    duplicate or over-long custom ids."""
    content = payload.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        raise _invalid("content", f"Must be {MAX_CONTENT} or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        raise _invalid("embeds", f"Must be {MAX_EMBEDS} or fewer in length.")
    if sum(_check_embed(i, e) for i, e in enumerate(embeds)) > MAX_EMBED_TOTAL:
        raise _invalid("embeds", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")
    _check_components(payload.get("components") or [], bool(int(payload.get("flags") or 0) & (1 << 15)))
    _check_allowed_mentions(payload.get("allowed_mentions"))
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
        allowed_mentions=payload.get("allowed_mentions"),
        **fields,
    )


def apply_edit(state: State, msg: Message, payload: dict[str, Any], uploads: list[Upload], *, limit: int) -> Message:
    validate_body(payload, uploads, new=False)
    files = store_uploads(state, uploads, msg.channel_id, limit)
    return state.edit_message(msg, payload, files)
