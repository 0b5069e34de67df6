"""Instant previews end to end: interaction → the member's status message shows the instant picture.

    python bench/bench_preview.py [--rounds 3] [--size 512] [--rest 60] [--share 0.05] [--record]

Runs the real `stylebot bot` and `stylebot engine` (random VGG19 weights, CPU) against the Discord stand-in over real
sockets, like `stylebot demo`. After a warm-up job (torch, the weights and the instant model loaded), per round:

- idle: a member's /stylize (1024x768 photo, `fast` at `--size`) on an idle queue;
- busy: another member's long job running and two more queued ahead, then the member's /stylize.

It reports the seconds from the interaction to the first edit of the member's status message that carries the instant
preview (the stand-in's clock), then cancels the round's jobs and rests `--rest` seconds, so that each round starts from
a lane that has earned back its burst allowance (a server whose jobs arrive in a steady stream faster than the lane's
time share allows gets previews at that share's pace, by design; see jobqueue.PreviewLane). Goals (issue 12): idle ≤ 2
s, busy ≤ 5 s on a 2-core CPU. `--record` appends the figures to bench/RESULTS.md (## Instant previews).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylebot._cli._children import Children, child_env  # noqa: E402
from stylebot._cli.demo import instant_image, synthesize  # noqa: E402

IMAGES = ROOT.parent / "shared" / "images"
GOALS = {"idle": 2.0, "busy": 5.0}


def _image(name: str, role: str) -> bytes:
    path = IMAGES / name
    return path.read_bytes() if path.is_file() else synthesize(role, 1024)


async def _stylize(scene: Any, user: Any, content: bytes, style: bytes, size: int) -> tuple[int, float]:
    """Send /stylize as `user`; the job id and the interaction's send time (stand-in clock)."""
    s = scene.standin
    options = {
        "content": s.add_attachment(content, "content.jpg", sniff=True),
        "style": s.add_attachment(style, "style.jpg", sniff=True),
        "size": size,
    }
    inter = await s.run_command("stylize", options, user=user, timeout=120)

    def queued() -> int | None:
        original = inter.original
        text = "" if original is None or original.loading else original.text()
        match = re.search(r"job #(\d+)", text)
        return int(match.group(1)) if match else None

    job_id = await s.wait_for(queued, 60, "the bot's reply")
    return job_id, inter.sent_at


async def _preview_seconds(scene: Any, job_id: int, sent_at: float) -> float:
    s = scene.standin

    def shown() -> bool:
        for m in s.channel_messages(scene.channel.id, include_ephemeral=False):
            footer = " ".join(str((e.get("footer") or {}).get("text", "")) for e in m.embeds)
            if f"Job #{job_id}" in footer and instant_image(m) is not None:
                return True
        return False

    await s.wait_for(shown, 120, f"job {job_id}'s instant preview")
    return time.monotonic() - sent_at


async def _until_running(store: Any, job_id: int) -> None:
    from jobqueue import JobState

    async with asyncio.timeout(120):
        while True:
            if (await store.get(job_id)).state is JobState.RUNNING:
                return
            await asyncio.sleep(0.05)


async def _round(scene: Any, store: Any, users: list[Any], images: tuple[bytes, bytes], size: int, busy: bool) -> float:
    content, style = images
    ahead: list[int] = []
    if busy:
        first, _ = await _stylize(scene, users[1], content, style, size)
        await _until_running(store, first)
        ahead = [first] + [(await _stylize(scene, users[2 + i], content, style, size))[0] for i in range(2)]
        await asyncio.sleep(3.0)  # the jobs ahead have had their previews; the lane's credit is what is left
    job_id, sent_at = await _stylize(scene, users[0], content, style, size)
    seconds = await _preview_seconds(scene, job_id, sent_at)
    for jid in (*ahead, job_id):
        await store.cancel(jid)
    await asyncio.sleep(2.0)  # the engine lets the cancelled job go
    return seconds


async def run(rounds: int, size: int, rest: float, share: float) -> dict[str, list[float]]:
    import jobqueue
    from standin import serve

    images = (_image("tubingen.jpg", "content"), _image("starry_night.jpg", "style"))
    async with serve(guild_name="preview bench", member_name="m0") as scene:
        s = scene.standin
        users = [scene.member, *(s.add_member(scene.guild.id, name=f"m{i}") for i in range(1, 4))]
        with tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            env = child_env(
                {
                    **s.env(),
                    "STYLEBOT_DATABASE_URL": url,
                    "STYLEBOT_DATA_DIR": tmp,
                    "STYLEBOT_WEIGHTS": "random",
                    "STYLEBOT_DEVICE": "cpu",
                    "STYLEBOT_COOLDOWN_SECONDS": "0",
                    "STYLEBOT_MAX_SIZE": str(size),
                    "STYLEBOT_POLL_INTERVAL": "0.5",
                    "STYLEBOT_BOT_METRICS_PORT": "0",
                    "STYLEBOT_ENGINE_METRICS_PORT": "0",
                    "STYLEBOT_LOG_LEVEL": "WARNING",
                    "STYLEBOT_PREVIEW_SHARE": str(share),
                }
            )
            children = Children()
            with (Path(tmp) / "processes.log").open("wb") as log:
                await children.start("bot", "bot", env=env, output=log)
                await children.start("engine", "engine", env=env, output=log)
                store = await jobqueue.open_store(url, migrate=True)
                try:
                    warm, sent = await _stylize(scene, users[3], *images, 64)  # torch, weights, instant model
                    await _preview_seconds(scene, warm, sent)
                    await store.cancel(warm)
                    out: dict[str, list[float]] = {"idle": [], "busy": []}
                    for _ in range(rounds):
                        for kind in ("idle", "busy"):
                            await asyncio.sleep(rest)
                            out[kind].append(await _round(scene, store, users, images, size, kind == "busy"))
                            print(f"{kind}: {out[kind][-1]:.2f} s", file=sys.stderr)
                    return out
                finally:
                    await store.close()
                    await children.stop()


def _report(out: dict[str, list[float]], args: argparse.Namespace) -> str:
    host = f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = [
        f"{time.strftime('%Y-%m-%d')}, {host}, `fast` at {args.size} px, random weights, {len(out['idle'])} rounds "
        f"({args.rest:g} s apart), preview share {args.share:g}:",
        "",
        "| queue | median s | worst s | goal s |",
        "|---|---:|---:|---:|",
    ]
    for kind, values in out.items():
        lines.append(f"| {kind} | {statistics.median(values):.2f} | {max(values):.2f} | {GOALS[kind]:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rest", type=float, default=60.0, help="seconds between rounds")
    parser.add_argument("--share", type=float, default=0.05, help="STYLEBOT_PREVIEW_SHARE")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    report = _report(asyncio.run(run(args.rounds, args.size, args.rest, args.share)), args)
    sys.stdout.write(report)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(f"\n## Instant previews (end to end)\n\n{report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
