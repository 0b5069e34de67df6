"""`python -m stylebot engine` delivering against the stand-in as a real process, after a simulated crash.

A first "engine" (the delivery loop in this test process) posts two results but dies before recording them; the real
engine process then starts, repeats those posts (the channel returns the first message for the same nonce), rides
out a 429, and posts a third result whose interaction token expired as a channel message that mentions the member.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest

from delivery import DeliveryLoop, DiscordPoster
from jobqueue import DatabaseUnavailable, DeliveryTarget, Job, JobStore, TargetKind, open_store
from standin import Standin, patch_discord
from tests.delivery.helpers import fail, png, submit, succeed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


class LosesMarks:
    """The first engine: posts, then "crashes" before `mark_delivered` reaches the database."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def mark_delivered(self, job_id: int) -> None:
        raise DatabaseUnavailable("sqlite:///crashed")


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with Standin() as s:
        with patch_discord(s.api_base, s.gateway_url):
            yield s


async def _until_delivered(store: JobStore, jobs: list[Job], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if all([(await store.get(j.id)).delivered_at is not None for j in jobs]):
            return
        await asyncio.sleep(0.1)
    pytest.fail("the engine did not deliver every job\n" + _tail(log))


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _start_engine(url: str, env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "engine.log"
    cmd = [sys.executable, "-m", "stylebot", "engine", "--db", url, "--poll-interval", "0.1"]
    with open(log, "wb") as err:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=tmp_path), log


async def test_engine_process_repeats_lost_posts_once_retries_429_and_falls_back_to_the_channel(
    standin: Standin, tmp_path: Path
) -> None:
    s = standin
    guild = s.add_guild("Server", channels=("general",))
    member = s.add_member(guild.id, name="alice")
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    store = await open_store(url, migrate=True)
    client = discord.Client(intents=discord.Intents.none())
    await client.login(s.token)
    try:
        channel = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=guild.channel_id)
        done = await succeed(store, await submit(store, channel), result=png(40))
        broke = await fail(store, await submit(store, channel), "time limit exceeded")
        assert await DeliveryLoop(LosesMarks(store), DiscordPoster(client)).run_once() == 0  # type: ignore[arg-type]
        assert len(s.channel_messages(guild.channel_id)) == 2 and await store.pending_deliveries() != []

        status = await client.get_partial_messageable(guild.channel_id).send("status of a job queued long ago")
        old_token = DeliveryTarget(
            kind=TargetKind.INTERACTION,
            application_id=s.application_id,
            interaction_id=1,
            interaction_token="expired-token",
            token_created_at=datetime.now(UTC) - timedelta(minutes=30),
            channel_id=guild.channel_id,
            status_message_id=status.id,
        )
        late = await succeed(store, await submit(store, old_token), result=png(40))
        s.rate_limit("POST", r"/channels/\d+/messages$", times=1, retry_after=0.1)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("STYLEBOT_", "DISCORD_"))}
        env.update(s.env(), PYTHONPATH=str(ROOT), STYLEBOT_WEIGHTS="random", STYLEBOT_DEVICE="cpu")
        env.update(STYLEBOT_ENGINE_METRICS_PORT="0", STYLEBOT_DATA_DIR=str(tmp_path), OMP_NUM_THREADS="1")
        proc, log = _start_engine(url, env, tmp_path)
        try:
            await _until_delivered(store, [done, broke, late], proc, log)
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(proc.wait, 30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                await asyncio.to_thread(proc.wait, 10)
    finally:
        await client.close()
        await store.close()

    posted = [m for m in s.channel_messages(guild.channel_id) if (m.nonce or "").startswith("sb")]  # ours
    by_title = sorted(m.embeds[0]["title"] for m in posted)
    assert by_title == ["Done", "Done", "Failed"]  # each job once: the repeats returned the first messages
    assert len(s.channel_messages(guild.channel_id)) == 4  # those three and the old status message
    [late_msg] = [m for m in posted if str(late.id) in m.embeds[0]["footer"]["text"]]
    assert late_msg.content.startswith(f"<@{late.user_id}>") and late_msg.attachments
    assert str(late_msg.id) in s.message(status.id).embeds[0]["description"]  # the old status message points there
    assert 429 in [r.status for r in s.requests if r.method == "POST"]
    assert s.token not in _tail(log)
    assert member.id != late.user_id  # the mention is the job's owner, whoever ran the command
