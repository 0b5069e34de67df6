"""Helpers for the bot's end-to-end tests: synthesized images, a running Stylebot, reading what a member saw."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

from bot import BotConfig, Stylebot
from jobqueue import Job, JobStore
from standin import Guild, Interaction, Message, Standin, User, patch_discord
from tests.standin.support import connected

T = TypeVar("T")


def png_bytes(width: int = 48, height: int = 40, seed: int = 0) -> bytes:
    """A small colourful gradient (not flat, so the engine has something to work with)."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 5 + seed * 40) % 256, (y * 7 + seed * 90) % 256, (x * y + seed) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class World:
    standin: Standin
    guild: Guild
    member: User
    other: User
    admin: User
    store: JobStore

    @property
    def channel_id(self) -> int:
        return self.guild.channel_id

    def images(self, *, size: int = 48) -> dict[str, Any]:
        s = self.standin
        return {
            "content": s.add_attachment(png_bytes(size, size, 0), "content.png", "image/png"),
            "style": s.add_attachment(png_bytes(size, size, 3), "style.png", "image/png"),
        }

    def public_messages(self) -> list[Message]:
        return self.standin.channel_messages(self.channel_id, include_ephemeral=False)

    async def jobs(self) -> list[Job]:
        return await self.store.list_jobs(limit=100)


@contextlib.asynccontextmanager
async def standin_world(url: str, *, styles: bool = False) -> AsyncIterator[World]:
    """A stand-in with one guild ("general" and "gallery"), alice, bob and root (admin), a SQL job store at `url`
    (with the kept references of challenges and, with `styles`, of the style library), discord.py pointed at it."""
    import jobqueue

    async with Standin() as standin:
        guild = standin.add_guild("Test Server", channels=("general", "gallery"))
        member = standin.add_member(guild.id, name="alice")
        other = standin.add_member(guild.id, name="bob")
        admin = standin.add_member(guild.id, name="root", admin=True)
        kept = jobqueue.style_kept_refs(jobqueue.challenge_kept_refs()) if styles else None
        store = await jobqueue.open_store(url, migrate=True, kept=kept)
        try:
            with patch_discord(standin.api_base, standin.gateway_url):
                yield World(standin, guild, member, other, admin, store)
        finally:
            await store.close()


def make_config(standin: Standin, **changes: Any) -> BotConfig:
    values: dict[str, Any] = {
        "attachment_hosts": (standin.cdn_host,),
        "max_size": 64,
        "default_size": 32,
        "cooldown_seconds": 0.0,
        "download_timeout": 5.0,
    }
    values.update(changes)
    return BotConfig(**values)


@contextlib.asynccontextmanager
async def running_bot(standin: Standin, store: JobStore, config: BotConfig) -> AsyncIterator[Stylebot]:
    """The real Stylebot, connected to the stand-in's gateway (interactions arrive even before on_ready)."""
    bot = Stylebot(config, store, guild_ready_timeout=0.05)
    async with connected(bot, standin.token):
        yield bot


async def reply_text(standin: Standin, inter: Interaction, wait: float = 10.0) -> str:
    """What the member finally reads in the interaction's own (first) response, once it stops "thinking"."""

    def text() -> str | None:
        callback = inter.callback
        if callback is None:
            return None
        if callback.type == 4:
            return _message_text(callback.data or {})
        original = inter.original
        if original is None or original.loading:
            return None
        return original.text()

    return await standin.wait_for(text, wait, "the interaction's reply")


def _message_text(data: dict[str, Any]) -> str:
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name')} {f.get('value')}" for f in embed.get("fields") or []]
    return "\n".join(p for p in parts if p)


async def until(check: Callable[[], Awaitable[T | None]], wait: float = 10.0, what: str = "condition") -> T:
    """Poll an async check (e.g. a store read) until it returns something truthy."""
    async with asyncio.timeout(wait):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.02)
    raise AssertionError(what)  # pragma: no cover - the timeout raises first


ROOT = Path(__file__).resolve().parents[2]


def stylebot_env(standin: Standin, database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a `python -m stylebot …` child pointed at the stand-in: random weights, CPU, no ops ports."""
    env = dict(os.environ)
    env.update(standin.env())
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
            "STYLEBOT_DATABASE_URL": database_url,
            "STYLEBOT_WEIGHTS": "random",
            "STYLEBOT_DEVICE": "cpu",
            "STYLEBOT_POLL_INTERVAL": "0.2",
            "STYLEBOT_COOLDOWN_SECONDS": "0",
            "STYLEBOT_MAX_SIZE": "64",
            "STYLEBOT_BOT_METRICS_PORT": "0",
            "STYLEBOT_ENGINE_METRICS_PORT": "0",
            "STYLEBOT_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


def stylebot_env_without_discord() -> dict[str, str]:
    """This environment minus every Discord setting, with the source tree importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env.update({"STYLEBOT_BOT_METRICS_PORT": "0", "STYLEBOT_ENGINE_METRICS_PORT": "0", "STYLEBOT_DEVICE": "cpu"})
    return env


@contextlib.asynccontextmanager
async def stylebot_process(*args: str, env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m stylebot ARGS` as a child (output to `log`); SIGTERM and a bounded wait on the way out."""
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "stylebot", *args, env=env, stdout=out, stderr=out, stdin=asyncio.subprocess.DEVNULL
        )
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def run_stylebot(args: list[str], env: dict[str, str], wait: float = 60) -> tuple[int, str]:
    """`python -m stylebot ARGS` to completion: exit status and output (stdout + stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stylebot",
        *args,
        env=env,
        cwd=Path(env["STYLEBOT_DATA_DIR"]) if "STYLEBOT_DATA_DIR" in env else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), wait)
    return proc.returncode or 0, (out + err).decode()
