"""The stand-in's CDN: stores attachment bytes and serves them at Discord-like URLs on the stand-in's host."""

from __future__ import annotations

import io
import secrets
from typing import Any

from aiohttp import web

from standin._records import StoredFile
from standin._state import State

__all__ = ["STATE_KEY", "image_size", "routes", "sniff_content_type", "store_file"]

STATE_KEY = web.AppKey("standin_state", State)

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_content_type(data: bytes, declared: str | None) -> str | None:
    """Discord sets content_type from the bytes, not from what the uploader claimed (discord.py says octet-stream)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if declared in (None, "", "application/octet-stream"):
        return None
    return declared


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height read from the header (Pillow, lazily imported); (None, None) for non-images."""
    try:
        from PIL import Image  # Pillow only reads the header here

        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:  # not an image, or one Pillow cannot identify: Discord then omits the dimensions
        return None, None


def store_file(
    state: State,
    data: bytes,
    filename: str,
    content_type: str | None,
    *,
    channel_id: int = 0,
    width: int | None = None,
    height: int | None = None,
    sniff: bool = True,
) -> StoredFile:
    """Keep the bytes and build the Discord attachment object (explicit width/height/content_type win)."""
    file_id = state.next_id()
    kind = sniff_content_type(data, content_type) if sniff else content_type
    if (width is None or height is None) and kind and kind.startswith("image/"):
        w, h = image_size(data)
        width = w if width is None else width
        height = h if height is None else height
    signed = f"?ex={int(state.clock.now()) + 86400:x}&is={int(state.clock.now()):x}&hm={secrets.token_hex(16)}"
    url = f"{state.cdn_base}/attachments/{channel_id}/{file_id}/{filename}{signed}"
    meta: dict[str, Any] = {
        "id": str(file_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url.replace("/attachments/", "/proxy/attachments/", 1),
    }
    if kind:
        meta["content_type"] = kind
    if width is not None and height is not None:
        meta["width"], meta["height"] = width, height
    stored = StoredFile(file_id, filename, kind, data, meta)
    state.files[file_id] = stored
    return stored


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


async def _serve(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    file_id = int(request.match_info["file_id"])
    response = _file_response(state, file_id, request)
    state.downloads.append((file_id, response.status))
    state.changed()
    return response


def _file_response(state: State, file_id: int, request: web.Request) -> web.Response:
    stored = state.files.get(file_id)
    if stored is None or stored.filename != request.match_info["filename"]:
        return web.Response(status=404, text="Not Found")
    expires = request.query.get("ex", "")
    if expires and (not _is_hex(expires) or state.clock.now() > int(expires, 16)):
        return web.Response(status=404, text="This content is no longer available.")  # signed URLs live 24 h
    return web.Response(body=stored.data, content_type=stored.content_type or "application/octet-stream")


def routes() -> list[web.RouteDef]:
    pattern = "/attachments/{channel_id:\\d+}/{file_id:\\d+}/{filename}"
    return [web.get(pattern, _serve), web.get("/proxy" + pattern, _serve)]
