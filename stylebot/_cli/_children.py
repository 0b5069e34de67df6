"""Child `stylebot …` processes for `stylebot run` and `stylebot demo`: start, watch, stop them cleanly.

Each child runs in its own process group, so a Ctrl-C in the terminal reaches only the parent, which forwards one
signal to each child (a second Ctrl-C would make the engine drop its running job at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

__all__ = ["Children", "child_env"]

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]


def child_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus `overrides`, with the source tree importable by `python -m stylebot`."""
    env = dict(os.environ)
    env.update(overrides or {})
    paths = [str(ROOT), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class Children:
    """Named `python -m stylebot <args>` processes."""

    def __init__(self) -> None:
        self.procs: dict[str, asyncio.subprocess.Process] = {}

    async def start(
        self, name: str, *args: str, env: Mapping[str, str], output: IO[bytes] | int | None = None
    ) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "stylebot",
            *args,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            process_group=0,
        )
        self.procs[name] = proc
        logger.info("started %s (pid %d)", name, proc.pid)
        return proc

    async def first_exit(self, stop: asyncio.Event) -> tuple[str, int] | None:
        """Wait until a child exits (its name and exit status) or `stop` is set (None)."""
        waits = {asyncio.create_task(proc.wait(), name=name): name for name, proc in self.procs.items()}
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({*waits, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*waits, stopper):
                task.cancel()
            await asyncio.gather(*waits, stopper, return_exceptions=True)
        for task in done:
            if task in waits and not task.cancelled():
                return waits[task], task.result()
        return None

    def signal_all(self, sig: int) -> None:
        for name, proc in self.procs.items():
            if proc.returncode is None:
                logger.info("sending %s to %s (pid %d)", signal.Signals(sig).name, name, proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)

    async def stop(self, sig: int = signal.SIGTERM, grace: float = 40.0) -> dict[str, int]:
        """Signal every child that still runs, wait up to `grace` seconds, then kill the rest; their exit codes."""
        self.signal_all(sig)
        try:
            async with asyncio.timeout(grace):
                await asyncio.gather(*(proc.wait() for proc in self.procs.values()))
        except TimeoutError:
            for name, proc in self.procs.items():
                if proc.returncode is None:
                    logger.warning("%s did not stop within %.0f s; killing it", name, grace)
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
            await asyncio.gather(*(proc.wait() for proc in self.procs.values()))
        return {name: proc.returncode or 0 for name, proc in self.procs.items()}
