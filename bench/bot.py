"""Bot latency against the local Discord stand-in: interaction → deferred ack, and interaction → job enqueued.

    python bench/bot.py [--interactions 300] [--users 60] [--concurrency 20] [--store sqlite|memory] [--record]

Each interaction is a member's /stylize with two small PNG attachments, sent over the stand-in's gateway to the real
Stylebot (unmodified discord.py, real sockets). The bot checks metadata, defers, downloads, decodes, stores the
images, enqueues and posts the public status message. `--record` appends the figures to bench/RESULTS.md (## Bot).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bot import BotConfig, Stylebot  # noqa: E402
from jobqueue import Job, NewJob  # noqa: E402
from standin import Standin, patch_discord  # noqa: E402

GOAL_ACK_P99_MS = 100.0


class TimedStore:
    """Delegates to a real store and remembers when each enqueue returned (time.monotonic, like the stand-in)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.enqueued_at: dict[str, float] = {}

    async def enqueue(self, new: NewJob, **kw: Any) -> Job:
        job = await self._store.enqueue(new, **kw)
        self.enqueued_at[new.idempotency_key or ""] = time.monotonic()
        return job

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _png(side: int, shade: int) -> bytes:
    image = Image.new("RGB", (side, side))
    image.putdata(
        [((x * 4 + shade) % 256, (y * 4) % 256, (x + y + shade) % 256) for y in range(side) for x in range(side)]
    )
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def _open_store(kind: str, tmp: Path) -> Any:
    if kind == "memory":
        from jobqueue.testing import InMemoryJobStore

        return InMemoryJobStore()
    import jobqueue

    return await jobqueue.open_store(f"sqlite+aiosqlite:///{tmp / 'bench.db'}", migrate=True)


async def run(n: int, users: int, concurrency: int, store_kind: str) -> dict[str, Any]:
    async with Standin() as s:
        guild = s.add_guild("bench")
        members = [s.add_member(guild.id, name=f"user{i}") for i in range(users)]
        content, style = _png(64, 0), _png(64, 120)
        with tempfile.TemporaryDirectory() as tmp, patch_discord(s.api_base, s.gateway_url):
            store = TimedStore(await _open_store(store_kind, Path(tmp)))
            config = BotConfig(
                attachment_hosts=(s.cdn_host,),
                cooldown_seconds=0,
                max_queued_per_user=10_000,
                max_queued_per_guild=100_000,
                max_size=64,
                default_size=32,
            )
            bot = Stylebot(config, store, guild_ready_timeout=0.05)  # type: ignore[arg-type]
            await bot.login(s.token)
            task = asyncio.create_task(bot.connect(reconnect=True))
            try:
                await asyncio.wait_for(bot.wait_until_ready(), 10)
                results = await _drive(s, store, members, content, style, n, concurrency)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)
                await store.close()
    return results


async def _drive(
    s: Standin, store: TimedStore, members: list[Any], content: bytes, style: bytes, n: int, concurrency: int
) -> dict[str, Any]:
    sem = asyncio.Semaphore(concurrency)
    acks: list[float] = []
    enqueues: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            options = {
                "content": s.add_attachment(content, f"c{i}.png", "image/png"),
                "style": s.add_attachment(style, f"s{i}.png", "image/png"),
            }
            inter = await s.run_command("stylize", options, user=members[i % len(members)])
            key = f"discord:{inter.id}"
            await s.wait_for(lambda: key in store.enqueued_at and inter.ack_latency is not None, 30)
            if i >= 0:
                acks.append(inter.ack_latency * 1000)  # type: ignore[operator]
                enqueues.append((store.enqueued_at[key] - inter.sent_at) * 1000)

    await asyncio.gather(*(one(-1 - i) for i in range(5)))  # warm-up (not counted)
    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.monotonic() - started
    return {
        "n": len(acks),
        "ack_p50": statistics.median(acks),
        "ack_p99": _pct(acks, 99),
        "ack_max": max(acks),
        "enq_p50": statistics.median(enqueues),
        "enq_p99": _pct(enqueues, 99),
        "rate": len(acks) / elapsed,
    }


def _report(r: dict[str, Any], args: argparse.Namespace) -> str:
    verdict = "meets" if r["ack_p99"] <= GOAL_ACK_P99_MS else "misses"
    return (
        f"- {time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} CPUs, store={args.store}, "
        f"{r['n']} /stylize from {args.users} users, {args.concurrency} in flight: "
        f"ack p50 {r['ack_p50']:.1f} ms, p99 {r['ack_p99']:.1f} ms (max {r['ack_max']:.1f}); "
        f"enqueued p50 {r['enq_p50']:.1f} ms, p99 {r['enq_p99']:.1f} ms; {r['rate']:.0f} interactions/s "
        f"({verdict} the ack p99 ≤ {GOAL_ACK_P99_MS:.0f} ms goal)\n"
    )


def _record(line: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if "\n## Bot\n" not in text:
        text = (
            text.rstrip("\n")
            + "\n\n## Bot\n\n`python bench/bot.py --record` (interaction → deferred ack / → job enqueued, "
        )
        text += "stand-in and bot in one process over real sockets).\n\n"
    head, _, tail = text.partition("\n## Bot\n")
    section, sep, rest = tail.partition("\n## ")
    text = head + "\n## Bot\n" + section.rstrip("\n") + "\n" + line + (("\n## " + rest) if sep else "")
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=300)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    result = asyncio.run(run(args.interactions, args.users, args.concurrency, args.store))
    line = _report(result, args)
    print(line, end="")
    if args.record:
        _record(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
