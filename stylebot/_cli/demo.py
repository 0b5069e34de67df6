"""`stylebot demo [CONTENT STYLE] -o OUT.png`: the whole product offline, against the local Discord stand-in.

Starts the stand-in, then `stylebot bot` and `stylebot engine` as processes pointed at it (DISCORD_API_BASE,
DISCORD_GATEWAY_URL), plays a member's /stylize with two images (synthesized when none are given), waits for the
result the stand-in receives in the channel and writes it to OUT. The job's instant preview (a feed-forward network's
picture, on the status message within a second or two) is written beside it as OUT.instant.jpg when it came first,
and both are named for what they are. Weights: the pretrained ones when cached, else a
quick download attempt, else random weights with a loud warning (the only place that falls back on its own).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import math
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stylebot._cli._children import Children, child_env
from stylebot.errors import StylebotError, UsageError
from stylebot.settings import Settings

__all__ = ["instant_image", "register", "result_image", "run_demo", "synthesize"]

logger = logging.getLogger(__name__)

DOWNLOAD_HOST = ("download.pytorch.org", 443)
RANDOM_WARNING = (
    "WARNING: no pretrained VGG19 weights (not cached, download failed): the demo uses RANDOM weights, so the Gatys\n"
    "result is a texture, not a real style transfer (the instant preview comes from its own trained network). Run\n"
    "`stylebot weights download` once for the real thing.\n"
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("demo", help="offline demo: a /stylize against a local Discord stand-in")
    p.add_argument("images", nargs="*", type=Path, metavar="CONTENT STYLE", help="two images (default: synthesized)")
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write the result image")
    p.add_argument("--size", type=int, default=256, help="output short side in px (default 256)")
    p.add_argument("--steps", type=int, default=None, help="cap on optimisation steps (lowers the preset's own)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the result (default 900)")
    p.set_defaults(func=_from_args)


def _from_args(args: argparse.Namespace, settings: Settings) -> int:
    if len(args.images) not in (0, 2):
        raise UsageError("give two images (CONTENT STYLE) or none")
    content, style = args.images if args.images else (None, None)
    return run_demo(content, style, args.output, settings, size=args.size, steps=args.steps, wait=args.timeout)


def run_demo(
    content: Path | None,
    style: Path | None,
    output: Path,
    settings: Settings,
    *,
    size: int = 256,
    steps: int | None = None,
    wait: float = 900.0,
) -> int:
    images = _load(content, "content") if content else synthesize("content")
    style_bytes = _load(style, "style") if style else synthesize("style")
    weights = choose_weights(settings.weights)
    size = max(32, min(size, settings.max_size))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stylebot-demo-") as tmp:
        data, instant = asyncio.run(_play(images, style_bytes, Path(tmp), weights, size=size, steps=steps, wait=wait))
    output.parent.mkdir(parents=True, exist_ok=True)
    if instant is not None:
        seconds, picture = instant
        path = output.with_name(f"{output.stem}.instant.jpg")
        path.write_bytes(picture)
        sys.stdout.write(f"wrote {path}: the INSTANT PREVIEW (feed-forward network), on screen after {seconds:.1f} s\n")
    output.write_bytes(data)
    elapsed = time.monotonic() - started
    sys.stdout.write(f"wrote {output}: the GATYS RESULT (VGG19 optimisation), {len(data)} bytes, in {elapsed:.0f} s\n")
    if weights == "random":
        sys.stderr.write(RANDOM_WARNING)
    return 0


def _load(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the {role} image {path}: {exc.strerror}") from exc


def synthesize(role: str, side: int = 384) -> bytes:
    """A content picture (sun over hills) or a style picture (bold coloured stripes and rings), as PNG bytes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (side, side), (135, 190, 235) if role == "content" else (20, 20, 40))
    draw = ImageDraw.Draw(image)
    if role == "content":
        draw.ellipse((side * 0.6, side * 0.1, side * 0.85, side * 0.35), fill=(250, 210, 60))
        for i, colour in enumerate([(60, 140, 70), (40, 110, 50), (30, 80, 40)]):
            top = side * (0.55 + 0.12 * i)
            points = [(x, top + 25 * math.sin(x / side * 6.0 + i)) for x in range(0, side + 8, 8)]
            draw.polygon([*points, (side, side), (0, side)], fill=colour)
    else:
        colours = [(230, 57, 70), (241, 250, 238), (69, 123, 157), (244, 162, 97), (42, 157, 143)]
        for i in range(0, side * 2, 24):
            draw.line((i, 0, i - side, side), fill=colours[(i // 24) % len(colours)], width=12)
        for r in range(side // 2, 0, -36):
            draw.ellipse((side / 2 - r, side / 2 - r, side / 2 + r, side / 2 + r), outline=colours[r % 5], width=6)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def choose_weights(configured: str) -> str:
    """`imagenet` when cached (or quickly downloadable), else `random`; a path or `random` is used as configured."""
    if configured != "imagenet":
        return configured
    from engine import hub_checkpoint_path

    if hub_checkpoint_path().is_file():
        return "imagenet"
    try:
        socket.create_connection(DOWNLOAD_HOST, timeout=3).close()
    except OSError:
        logger.warning("cannot reach %s; not downloading the weights", DOWNLOAD_HOST[0])
        return "random"
    sys.stderr.write("Downloading the VGG19 ImageNet weights (548 MB, once)…\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "stylebot", "weights", "download"], env=child_env(), timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        return "random"
    return "imagenet" if done.returncode == 0 else "random"


Instant = tuple[float, bytes] | None  # seconds after /stylize, the picture


async def _play(
    content: bytes, style: bytes, tmp: Path, weights: str, *, size: int, steps: int | None, wait: float
) -> tuple[bytes, Instant]:
    from standin import serve

    async with serve(guild_name="stylebot demo", member_name="you") as scene:
        s = scene.standin
        env = child_env(
            {
                **s.env(),
                "STYLEBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'demo.db'}",
                "STYLEBOT_DATA_DIR": str(tmp),
                "STYLEBOT_WEIGHTS": weights,
                "STYLEBOT_COOLDOWN_SECONDS": "0",
                "STYLEBOT_MAX_SIZE": str(max(size, 32)),
                "STYLEBOT_BOT_METRICS_PORT": "0",
                "STYLEBOT_ENGINE_METRICS_PORT": "0",
            }
        )
        log_path = tmp / "processes.log"
        children = Children()
        with log_path.open("wb") as log:
            try:
                await children.start("bot", "bot", env=env, output=log)
                await children.start("engine", "engine", env=env, output=log)
                return await _stylize(scene, content, style, size=size, steps=steps, wait=wait, children=children)
            except BaseException:
                sys.stderr.write(_tail(log_path))
                raise
            finally:
                await children.stop()


async def _stylize(
    scene: Any, content: bytes, style: bytes, *, size: int, steps: int | None, wait: float, children: Children
) -> tuple[bytes, Instant]:
    s = scene.standin
    sys.stderr.write("Waiting for the bot to connect to the local Discord stand-in…\n")
    if steps is not None:
        await s.run_command("queue limits", {"max_steps": steps}, user=scene.admin, timeout=120)
    options = {
        "content": s.add_attachment(content, "content.png", sniff=True),
        "style": s.add_attachment(style, "style.png", sniff=True),
        "size": size,
    }
    inter = await s.run_command("stylize", options, user=scene.member, timeout=120)
    sent = time.monotonic()
    reply = await s.wait_for(lambda: _reply(inter), 60, "the bot's reply to /stylize")
    if not reply.startswith("Queued"):
        raise StylebotError(f"the bot refused the request: {reply}")
    sys.stderr.write(f"/stylize sent as member '{scene.member.name}'; waiting for the engine's result…\n")
    try:
        async with asyncio.timeout(wait):
            return await _watch(scene, children, sent)
    except TimeoutError:
        raise StylebotError(f"no result within {wait:.0f} s; try a smaller --size or --steps") from None


def _reply(inter: Any) -> str | None:
    callback = inter.callback
    if callback is None:
        return None
    if callback.type == 4:
        return str((callback.data or {}).get("content") or "refused")
    original = inter.original
    return None if original is None or original.loading else original.text()


async def _watch(scene: Any, children: Children, sent: float) -> tuple[bytes, Instant]:
    """The result image posted in the channel (not a preview), and the instant preview with the seconds it took to
    appear if it came first; prints progress while waiting."""
    s = scene.standin
    channel = scene.channel.id
    last, instant = "", None
    while True:
        for m in s.channel_messages(channel, include_ephemeral=False):
            data = result_image(m)
            if data is not None:
                return data, instant
            picture = instant_image(m)
            if picture is not None and instant is None:
                instant = (time.monotonic() - sent, picture)
                sys.stderr.write(f"  instant preview on screen after {instant[0]:.1f} s; the Gatys result follows…\n")
            line = next((x for x in m.text().splitlines() if "%" in x or "Step" in x or "step" in x), "")
            if line and line != last:
                sys.stderr.write(f"  {line.replace('*', '').strip()[:100]}\n")
                last = line
        for name, proc in children.procs.items():
            if proc.returncode is not None:
                raise StylebotError(f"the demo's {name} process exited with status {proc.returncode}")
        await asyncio.sleep(0.5)


def result_image(message: Any) -> bytes | None:
    """The image a finished job's message shows as its embed image; None while it only shows progress.

    A waiting or running job's status message carries previews as attachments too (the instant preview as the embed's
    image, `instant-<id>.jpg`; the optimisation's own as its thumbnail), so "the first message with an image" would
    be a preview. A job that failed or was cancelled raises.
    """
    for embed in message.embeds:
        if embed.get("title") in _GAVE_UP:
            reason = str(embed.get("description", "")).split("\n")[0]
            raise StylebotError(f"the demo job ended without a result ({embed['title']}): {reason}")
    return _embed_image(message, instant=False)


def instant_image(message: Any) -> bytes | None:
    """The instant preview a waiting or running job's message shows, or None."""
    return _embed_image(message, instant=True)


def _embed_image(message: Any, *, instant: bool) -> bytes | None:
    for embed in message.embeds:
        url = str((embed.get("image") or {}).get("url", ""))
        name = url.removeprefix("attachment://")
        if url.startswith("attachment://") and name.startswith("instant-") == instant:
            return next((a.data for a in message.attachments if a.filename == name), None)
    return None


_GAVE_UP = ("Failed", "Could not finish", "Cancelled")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "--- last lines of the bot and engine logs ---\n" + "\n".join(text[-lines:]) + "\n"
