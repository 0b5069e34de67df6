"""Bot latency against the local Discord stand-in: interaction → deferred ack, and interaction → job enqueued.

    python bench/bench_bot.py [--interactions 300] [--users 60] [--concurrency 20] [--store sqlite|memory] [--record]

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
_INTRO = (
    "`python bench/bench_bot.py --record`: a member's /stylize (two 64 px PNGs) → deferred ack, and → job enqueued\n"
    "(images downloaded, decoded, stored). `bot=process`: `stylebot bot` in its own process, as in production;\n"
    "`bot=inline`: the bot shares the stand-in's event loop. The 2-core machine is shared with other work, so\n"
    "figures vary from run to run.\n\n"
)


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


async def run(n: int, users: int, concurrency: int, store_kind: str, mode: str) -> dict[str, Any]:
    async with Standin() as s:
        guild = s.add_guild("bench")
        members = [s.add_member(guild.id, name=f"user{i}") for i in range(users)]
        with tempfile.TemporaryDirectory() as tmp:
            if mode == "process":
                return await _run_process(s, members, Path(tmp), n, concurrency)
            return await _run_inline(s, members, Path(tmp), n, concurrency, store_kind)


async def _run_inline(
    s: Standin, members: list[Any], tmp: Path, n: int, concurrency: int, store_kind: str
) -> dict[str, Any]:
    """The bot in this process, on the stand-in's event loop (they compete for the same loop)."""
    store = TimedStore(await _open_store(store_kind, tmp))
    config = BotConfig(
        attachment_hosts=(s.cdn_host,),
        cooldown_seconds=0,
        max_queued_per_user=10_000,
        max_queued_per_guild=100_000,
        max_size=64,
        default_size=32,
    )
    with patch_discord(s.api_base, s.gateway_url):
        bot = Stylebot(config, store, guild_ready_timeout=0.05)  # type: ignore[arg-type]
        await bot.login(s.token)
        task = asyncio.create_task(bot.connect(reconnect=True))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            done = _Done(lambda inter: f"discord:{inter.id}" in store.enqueued_at)
            timings = await _drive(s, members, n, concurrency, done)
            enqueued = {k: v for k, v in store.enqueued_at.items()}
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            await store.close()
    return _summary(timings, lambda inter: enqueued[f"discord:{inter.id}"] - inter.sent_at)


async def _run_process(s: Standin, members: list[Any], tmp: Path, n: int, concurrency: int) -> dict[str, Any]:
    """`stylebot bot` as its own process (as in production) with SQLite; enqueue times read from the jobs' rows."""
    import jobqueue

    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    env = {
        **os.environ,
        **s.env(),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        "STYLEBOT_DATABASE_URL": url,
        "STYLEBOT_COOLDOWN_SECONDS": "0",
        "STYLEBOT_MAX_QUEUED_PER_USER": "10000",
        "STYLEBOT_MAX_QUEUED_PER_GUILD": "100000",
        "STYLEBOT_MAX_SIZE": "64",
        "STYLEBOT_BOT_METRICS_PORT": "0",
        "STYLEBOT_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "stylebot", "bot", env=env)
    wall_minus_mono = time.time() - time.monotonic()
    try:
        timings = await _drive(s, members, n, concurrency, _Done(_queued_reply))
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)
    store = await jobqueue.open_store(url, migrate=False)
    try:
        rows = {j.idempotency_key: j.created_at for j in await store.list_jobs(limit=n + 100)}
    finally:
        await store.close()

    def enqueue(inter: Any) -> float:
        created = rows[f"discord:{inter.id}"]
        assert created is not None
        return created.timestamp() - (inter.sent_at + wall_minus_mono)

    return _summary(timings, enqueue)


def _queued_reply(inter: Any) -> bool:
    original = inter.original
    queued = original is not None and not original.loading and original.content.startswith("Queued")
    return queued and bool(inter.followups)  # the public status message is out too


class _Done:
    def __init__(self, check: Any) -> None:
        self.check = check


async def _drive(s: Standin, members: list[Any], n: int, concurrency: int, done: _Done) -> list[Any]:
    """Send `n` /stylize (after 5 warm-ups) with at most `concurrency` in flight; the finished interactions."""
    content, style = _png(64, 0), _png(64, 120)
    sem = asyncio.Semaphore(concurrency)
    finished: list[Any] = []

    async def one(i: int) -> None:
        async with sem:
            options = {
                "content": s.add_attachment(content, f"c{i}.png", "image/png"),
                "style": s.add_attachment(style, f"s{i}.png", "image/png"),
            }
            inter = await s.run_command("stylize", options, user=members[i % len(members)], timeout=60)
            await s.wait_for(lambda: inter.ack_latency is not None and done.check(inter), 60)
            if i >= 0:
                finished.append(inter)

    await asyncio.gather(*(one(-1 - i) for i in range(5)))  # warm-up (not counted)
    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    _ELAPSED.append(time.monotonic() - started)
    return finished


_ELAPSED: list[float] = []


def _summary(finished: list[Any], enqueue_seconds: Any) -> dict[str, Any]:
    acks = [inter.ack_latency * 1000 for inter in finished]
    enqueues = [enqueue_seconds(inter) * 1000 for inter in finished]
    return {
        "n": len(acks),
        "ack_p50": statistics.median(acks),
        "ack_p99": _pct(acks, 99),
        "ack_max": max(acks),
        "enq_p50": statistics.median(enqueues),
        "enq_p99": _pct(enqueues, 99),
        "rate": len(acks) / _ELAPSED[-1],
    }


def _report(r: dict[str, Any], args: argparse.Namespace) -> str:
    verdict = "meets" if r["ack_p99"] <= GOAL_ACK_P99_MS else "misses"
    return (
        f"- {time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} CPUs, bot={args.bot}, "
        f"store={'sqlite' if args.bot == 'process' else args.store}, "
        f"{r['n']} /stylize from {args.users} users, {args.concurrency} in flight: "
        f"ack p50 {r['ack_p50']:.1f} ms, p99 {r['ack_p99']:.1f} ms (max {r['ack_max']:.1f}); "
        f"enqueued p50 {r['enq_p50']:.1f} ms, p99 {r['enq_p99']:.1f} ms; {r['rate']:.0f} interactions/s "
        f"({verdict} the ack p99 ≤ {GOAL_ACK_P99_MS:.0f} ms goal)\n"
    )


def _record(line: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if "\n## Bot\n" not in text:
        text = text.rstrip("\n") + "\n\n## Bot\n\n" + _INTRO
    head, _, tail = text.partition("\n## Bot\n")
    section, sep, rest = tail.partition("\n## ")
    section = section.rstrip("\n") + "\n"
    if not section.splitlines()[-1].startswith("- "):
        section += "\n"  # a blank line between the introduction and the first result
    text = head + "\n## Bot\n" + section + line + (("\n## " + rest) if sep else "")
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=300)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--bot", choices=("process", "inline"), default="process", help="where the bot runs")
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite", help="inline mode's store")
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    result = asyncio.run(run(args.interactions, args.users, args.concurrency, args.store, args.bot))
    line = _report(result, args)
    print(line, end="")
    if args.record:
        _record(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
