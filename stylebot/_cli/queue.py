"""`stylebot queue …`: submit, inspect and administer jobs from the command line.

    stylebot queue submit CONTENT STYLE [STYLE …] [--size N] [--steps N] [--preset fast|seed] [--user ID]
    stylebot queue list | show ID [--json] | stats [--json] | cancel ID | retry ID | pause | resume
    stylebot queue purge [--user ID] [--guild ID] | result ID -o FILE

All take `--db URL`. Bad input (missing file, unknown id, unreachable database) → one line `error: …`, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from engine.budget import PRESET_NAMES
from stylebot._cli._queue_format import job_json, job_line, stats_json, stats_text
from stylebot._cli.db import add_db_argument, database_url
from stylebot.errors import UsageError
from stylebot.settings import Settings

__all__ = ["register"]

T = TypeVar("T")


def register(subparsers: Any) -> None:
    q = subparsers.add_parser("queue", help="submit, inspect and administer queued jobs")
    sub = q.add_subparsers(dest="queue_command", metavar="ACTION", required=True, parser_class=type(q))

    def add(name: str, help_: str, func: Callable[..., int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        add_db_argument(p)
        p.set_defaults(func=func)
        return p

    p = add("submit", "queue a stylization (prints the job id)", run_submit)
    p.add_argument("content", type=Path, help="content image")
    p.add_argument("styles", type=Path, nargs="+", metavar="style", help="style image(s)")
    p.add_argument("--size", type=int, default=None, help="output short side in px")
    p.add_argument("--steps", type=int, default=None, help="optimisation steps")
    p.add_argument("--preset", choices=PRESET_NAMES, default=None, help="default STYLEBOT_DEFAULT_PRESET")
    p.add_argument("--strength", type=float, default=1.0, help="style strength (1 = the preset's)")
    p.add_argument("--seed", type=int, default=0, help="seed of the start noise")
    p.add_argument("--user", type=int, default=0, help="user id to file the job under (default 0)")
    p.add_argument("--priority", type=int, default=0, help="higher runs first within a round")
    p = add("list", "recent jobs, newest first", run_list)
    p.add_argument("--user", type=int, default=None)
    p.add_argument("--guild", type=int, default=None)
    p.add_argument("--state", action="append", default=None, help="only this state (repeatable)")
    p.add_argument("--limit", type=int, default=20)
    for name, help_, func in (
        ("show", "one job's state, attempts, error and progress", run_show),
        ("cancel", "cancel a queued job, or ask a running one to stop", run_cancel),
        ("retry", "queue a failed, dead or cancelled job again", run_retry),
    ):
        p = add(name, help_, func)
        p.add_argument("job_id", type=int, metavar="ID")
        if name == "show":
            p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("stats", "counts per state, running jobs, workers, mean wait and run time", run_stats)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--guild", type=int, default=None)
    for name, help_, func in (
        ("pause", "stop handing out jobs", run_pause),
        ("resume", "hand out jobs again", run_resume),
    ):
        p = add(name, f"{help_} (the whole queue, or one server with --guild)", func)
        p.add_argument("--guild", type=int, default=None)
    p = add("purge", "cancel every queued job (of one user / server)", run_purge)
    p.add_argument("--user", type=int, default=None)
    p.add_argument("--guild", type=int, default=None)
    p = add("result", "write a finished job's image to FILE", run_result)
    p.add_argument("job_id", type=int, metavar="ID")
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write")


def _with_store(
    args: argparse.Namespace, settings: Settings, fn: Callable[[Any], Awaitable[T]], *, migrate: bool = False
) -> T:
    import jobqueue

    async def go() -> T:
        url, kept = (
            database_url(args, settings),
            jobqueue.style_kept_refs(jobqueue.challenge_kept_refs()),
        )  # keep what challenges and styles use
        store = await jobqueue.open_store(url, migrate=migrate, kept=kept)
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(go())


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _read_image(path: Path) -> tuple[bytes, str]:
    from engine.images import decode_image, sniff_format

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        decode_image(data).close()  # validate; the original bytes are what is stored
    except Exception as exc:
        from stylebot.errors import StylebotError

        if isinstance(exc, StylebotError):
            raise UsageError(f"{path}: {exc}") from exc
        raise
    return data, f"image/{sniff_format(data) or 'octet-stream'}"


def run_submit(args: argparse.Namespace, settings: Settings) -> int:
    from engine import StyleParams
    from jobqueue import NewJob

    if args.size is not None and args.size < 16:
        raise UsageError(f"--size must be at least 16 px, got {args.size}")
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps must be at least 1, got {args.steps}")
    images = [_read_image(p) for p in (args.content, *args.styles)]
    preset = args.preset or settings.default_preset
    params = StyleParams(preset=preset, size=args.size, steps=args.steps, strength=args.strength, seed=args.seed)
    job_params = params.to_dict()
    from engine.animation import frame_count

    if (frames := frame_count(images[0][0])) > 1:  # delivery counts an animation's progress in frames
        job_params.update(animated=True, frames=frames)

    async def submit(store: Any) -> int:
        shas = [await store.put_blob(data, ctype) for data, ctype in images]
        new = NewJob(
            user_id=args.user,
            content_sha=shas[0],
            style_shas=tuple(shas[1:]),
            params=job_params,
            priority=args.priority,
            max_attempts=settings.max_attempts,
            batch_key=f"{preset}:{args.size or 'auto'}",
        )
        return (await store.enqueue(new)).id

    _out(str(_with_store(args, settings, submit, migrate=True)))
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from jobqueue import JobState

    try:
        states = [JobState(s) for s in args.state] if args.state else None
    except ValueError as exc:
        raise UsageError(f"unknown state ({', '.join(s.value for s in JobState)}): {exc}") from exc
    jobs = _with_store(
        args,
        settings,
        lambda s: s.list_jobs(user_id=args.user, guild_id=args.guild, states=states, limit=args.limit),
    )
    _out("\n".join(job_line(j) for j in jobs) if jobs else "no jobs")
    return 0


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    async def show(store: Any) -> tuple[Any, Any]:
        job = await store.get(args.job_id)
        return job, await store.position(job.id)

    job, position = _with_store(args, settings, show)
    data = job_json(job, position)
    if args.json:
        _out(json.dumps(data, indent=2))
    else:
        _out("\n".join(f"{k}: {v}" for k, v in data.items() if v not in (None, {}, [])))
    return 0


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    stats = _with_store(args, settings, lambda s: s.stats(guild_id=args.guild))
    _out(json.dumps(stats_json(stats), indent=2) if args.json else stats_text(stats))
    return 0


def run_cancel(args: argparse.Namespace, settings: Settings) -> int:
    job = _with_store(args, settings, lambda s: s.cancel(args.job_id))
    _out(f"job {job.id}: " + ("cancel requested (running)" if job.state == "running" else job.state.value))
    return 0


def run_retry(args: argparse.Namespace, settings: Settings) -> int:
    job = _with_store(args, settings, lambda s: s.retry(args.job_id))
    _out(f"job {job.id}: queued again")
    return 0


def run_pause(args: argparse.Namespace, settings: Settings) -> int:
    _with_store(args, settings, lambda s: s.pause(args.guild))
    _out("paused" + (f" (server {args.guild})" if args.guild else " (whole queue)"))
    return 0


def run_resume(args: argparse.Namespace, settings: Settings) -> int:
    _with_store(args, settings, lambda s: s.resume(args.guild))
    _out("resumed" + (f" (server {args.guild})" if args.guild else " (whole queue)"))
    return 0


def run_purge(args: argparse.Namespace, settings: Settings) -> int:
    n = _with_store(args, settings, lambda s: s.purge(guild_id=args.guild, user_id=args.user))
    _out(f"cancelled {n} queued job(s)")
    return 0


def run_result(args: argparse.Namespace, settings: Settings) -> int:
    from jobqueue import JobState

    async def fetch(store: Any) -> bytes:
        job = await store.get(args.job_id)
        if job.state != JobState.SUCCEEDED or not job.result_sha:
            raise UsageError(f"job {job.id} has no result (it is {job.state.value})")
        return await store.get_blob(job.result_sha)

    data = _with_store(args, settings, fetch)
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    _out(f"wrote {args.output} ({len(data)} bytes)")
    return 0
