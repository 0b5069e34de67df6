"""`stylebot run`: the bot and one engine as two processes, stopped together.

stylebot run            needs DISCORD_TOKEN; downloads the VGG19 weights first when they are missing; SIGINT/SIGTERM
                        are forwarded; when one process dies the other is stopped and its exit status becomes ours
stylebot run --auto     without DISCORD_TOKEN: run `stylebot demo` instead and say how to add a token
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from stylebot._cli._children import Children, child_env
from stylebot.errors import UsageError
from stylebot.settings import Settings

__all__ = ["register"]

logger = logging.getLogger(__name__)

DEMO_OUTPUT = Path("out/demo.png")
HOW_TO_ADD_A_TOKEN = """
To run the real bot: create an application at https://discord.com/developers/applications, copy its bot token
(Bot → Reset Token) into .env as DISCORD_TOKEN=..., invite it with the URL from the README ("Discord setup"),
then run `make run` again.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="run the bot and an engine together (or the offline demo with --auto)")
    p.add_argument("--auto", action="store_true", help="without DISCORD_TOKEN, run the offline demo instead")
    p.add_argument("--demo-output", type=Path, default=DEMO_OUTPUT, help=f"demo result path (default {DEMO_OUTPUT})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.discord_token:
        if not args.auto:
            raise UsageError("DISCORD_TOKEN is not set; add it to .env (README: Discord setup) or use `stylebot demo`")
        return _demo_instead(args.demo_output, settings)
    from stylebot._cli._first_run import ensure_weights

    ensure_weights(settings.weights)  # a fresh clone: fetch them once rather than have the engine refuse to start
    return asyncio.run(supervise(["bot"], ["engine"]))


def _demo_instead(output: Path, settings: Settings) -> int:
    from stylebot._cli.demo import run_demo

    sys.stderr.write("DISCORD_TOKEN is not set: running the offline demo against a local Discord stand-in.\n")
    code = run_demo(None, None, output, settings)
    if code == 0:
        sys.stdout.write(f"\nThe demo's result is in {output.resolve()}\n")
    sys.stdout.write(HOW_TO_ADD_A_TOKEN)
    return code


async def supervise(*commands: list[str]) -> int:
    """Run each `stylebot <command>` as a child until a signal arrives or one of them exits."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(sig: int) -> None:
        received.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    children = Children()
    env = child_env()
    try:
        for command in commands:
            await children.start(command[0], *command, env=env)
        first = await children.first_exit(stop)
        if first is not None:
            name, code = first
            logger.error("%s exited with status %d; stopping the others", name, code)
            await children.stop(signal.SIGTERM)
            return code if code > 0 else 1
        logger.info("stopping (signal %s)", signal.Signals(received[0]).name)
        codes = await children.stop(received[0])
        bad = [code for code in codes.values() if code not in (0, -received[0])]
        return (bad[0] if bad[0] > 0 else 1) if bad else 0
    finally:
        if children.procs:
            await children.stop(signal.SIGTERM)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
