"""`stylebot run` as its own process against the Discord stand-in: both processes serve /healthz and /metrics on
their own ports (no clash), and SIGTERM stops both children cleanly within seconds."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from standin import Standin
from tests.bot.support import stylebot_env

pytestmark = pytest.mark.slow

STOP_WITHIN = 20.0  # seconds from SIGTERM to exit for an idle bot + engine (under 1 s when measured)


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with Standin() as s:
        s.add_guild("Test Server")
        yield s


async def _healthy(http: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


async def _metrics(http: aiohttp.ClientSession, port: int) -> str:
    async with http.get(f"http://127.0.0.1:{port}/metrics", timeout=aiohttp.ClientTimeout(total=5)) as resp:
        assert resp.status == 200
        return await resp.text()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _wait_healthy(proc: asyncio.subprocess.Process, ports: dict[str, int], log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.returncode is None:
            if all([await _healthy(http, port) for port in ports.values()]):
                return
            await asyncio.sleep(0.2)
    pytest.fail(f"bot and engine never both answered /healthz 200\n{_tail(log)}")


async def test_run_serves_both_ops_ports_and_sigterm_stops_both_children_within_seconds(
    standin: Standin, tmp_path: Path
) -> None:
    bot_port, engine_port = _free_ports(2)
    env = stylebot_env(
        standin,
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        STYLEBOT_BOT_METRICS_PORT=str(bot_port),
        STYLEBOT_ENGINE_METRICS_PORT=str(engine_port),
        STYLEBOT_DATA_DIR=str(tmp_path),
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "stylebot", "run", env=env, stdout=out, stderr=out, cwd=tmp_path
        )
        try:
            await _wait_healthy(proc, {"bot": bot_port, "engine": engine_port}, log)
            async with aiohttp.ClientSession() as http:
                bot_text, engine_text = await _metrics(http, bot_port), await _metrics(http, engine_port)
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code = await asyncio.wait_for(proc.wait(), 60)
            took = time.monotonic() - sent
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert took < STOP_WITHIN, f"stopping took {took:.1f} s\n{output}"

    # one server per process, each with its own metrics, both seeing the shared queue and the engine's heartbeat
    assert "# TYPE stylebot_interactions_total counter" in bot_text and "stylebot_engine_iterations" not in bot_text
    assert "stylebot_engine_iterations_total 0.0" in engine_text and "stylebot_interactions" not in engine_text
    for text in (bot_text, engine_text):
        assert "stylebot_workers_alive 1.0" in text
        assert 'stylebot_queue_jobs{state="queued"} 0.0' in text

    pids = {name: int(pid) for name, pid in re.findall(r"started (bot|engine) \(pid (\d+)\)", output)}
    assert set(pids) == {"bot", "engine"}, output
    assert all(_gone(pid) for pid in pids.values()), "a child outlived `stylebot run`"
    assert "stopping (signal SIGTERM)" in output
    assert "stopping the bot (signal)" in output  # the bot closed its gateway session itself
    assert re.search(r"worker \S+: 0 succeeded, 0 failed", output), output  # the engine's own clean-exit summary
    assert "Traceback" not in output and "killing it" not in output
