"""Result files that fit Discord's upload limit (re-encoded with `engine.encoding.encode_image` when too large, or
`engine.animation.encode_animation` for an animated GIF or WebP: fewer colours, then smaller frames)."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["DEFAULT_ATTACHMENT_LIMIT", "attachment_limit", "fit_attachment"]

DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024  # Discord's default per-file upload limit (10 MiB)
_MIN_LIMIT = 64 * 1024
_SIGNATURES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp", b"GIF8": "gif"}


def attachment_limit(params: dict[str, object], default: int = DEFAULT_ATTACHMENT_LIMIT) -> int:
    """The job's upload limit: `params["attachment_size_limit"]` (from the interaction) or `default`."""
    value = params.get("attachment_size_limit")
    if isinstance(value, int) and not isinstance(value, bool) and value >= _MIN_LIMIT:
        return value
    return default


def _ext(data: bytes) -> str:
    for magic, ext in _SIGNATURES.items():
        if data.startswith(magic):
            return ext
    return "png"


def fit_attachment(data: bytes, max_bytes: int) -> tuple[bytes, str]:
    """`(bytes, extension)` of the result at most `max_bytes` long; unchanged when it already fits.

    CPU-bound: call it through `asyncio.to_thread`.
    """
    if len(data) <= max_bytes:
        return data, _ext(data)
    from engine.encoding import encode_image  # Pillow only; imported here so `import delivery` stays light

    if _ext(data) in ("gif", "webp"):
        from engine.animation import decode_animation, encode_animation

        animation = decode_animation(data)  # our own result: bounded by the engine's limits
        if len(animation.frames) > 1:
            return encode_animation(animation.frames, animation.durations, animation.loop, max_bytes=max_bytes)
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return encode_image(im.convert("RGB"), max_bytes=max_bytes)
