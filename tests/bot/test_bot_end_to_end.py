"""The whole product against the stand-in: the real bot, a real `stylebot engine` process, SQLite, random weights.

Jobs are tiny (32 px, a few steps) so each takes a second or two on a CPU.
"""

from __future__ import annotations

import io
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import jobqueue
from jobqueue import JobState
from standin import Message, Standin, patch_discord
from tests.bot.support import World, make_config, reply_text, running_bot, stylebot_env, stylebot_process, until

pytestmark = pytest.mark.slow

RESULT_WAIT = 120.0  # engine start-up (torch import) included


@pytest.fixture
async def sql_world(tmp_path: Path) -> AsyncIterator[tuple[World, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    async with Standin() as standin:
        guild = standin.add_guild("Test Server")
        member = standin.add_member(guild.id, name="alice")
        other = standin.add_member(guild.id, name="bob")
        admin = standin.add_member(guild.id, name="root", admin=True)
        store = await jobqueue.open_store(url, migrate=True)
        await store.update_guild_settings(guild.id, max_steps=3)
        try:
            with patch_discord(standin.api_base, standin.gateway_url):
                yield World(standin, guild, member, other, admin, store), url
        finally:
            await store.close()


def _image_names(embeds: list[dict[str, Any]]) -> set[str]:
    return {str((e.get("image") or {}).get("url", "")).removeprefix("attachment://") for e in embeds} - {""}


def _has_image(m: Message) -> bool:
    """A finished result: the embed shows an attached image (a running job's progress preview is only a thumbnail;
    the instant preview, `instant-<id>.jpg`, is not a result)."""
    names = {n for n in _image_names(m.embeds) if not n.startswith("instant-")}
    return any(a.filename in names and (a.content_type or "").startswith("image/") for a in m.attachments)


def _has_instant_preview(m: Message) -> bool:
    names = {n for n in _image_names(m.embeds) if n.startswith("instant-")}
    return any(a.filename in names and (a.content_type or "").startswith("image/") for a in m.attachments)


async def test_stylize_shows_progress_then_the_result_in_the_same_message_and_reroll_works(
    sql_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = sql_world
    s = world.standin
    env = stylebot_env(s, url)
    async with running_bot(s, world.store, make_config(s)), stylebot_process("engine", env=env, log=tmp_path / "e.log"):
        inter = await s.run_command("stylize", {**world.images(), "size": 32, "seed": 3}, user=world.member)
        assert "Queued as job #" in await reply_text(s, inter)
        status = await s.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids) and not m.ephemeral)
        result = await s.wait_for_message(world.channel_id, _has_image, timeout=RESULT_WAIT)

        assert inter.callback is not None and inter.callback.type == 5 and inter.callback.ephemeral
        assert result.id == status.id  # the status message itself became the result
        titles = [(embed.get("title") or "") for edit in result.edits for embed in edit.get("embeds") or []]
        assert "Stylizing…" in titles[:-1] and titles[-1] == "Done", titles  # the running state, then the result
        image = Image.open(io.BytesIO(result.attachments[0].data))
        assert min(image.size) == 32
        [job] = await world.jobs()
        assert job.state is JobState.SUCCEEDED
        await until(lambda: _delivered(world, job.id), 30, "delivered_at")
        assert {f"sb1:job:{job.id}:{a}" for a in ("reroll", "stronger", "weaker")} <= set(result.custom_ids)

        click = await s.click(result, f"sb1:job:{job.id}:reroll", user=world.member)
        assert "Queued as job #" in await reply_text(s, click)
        second = await s.wait_for_message(world.channel_id, lambda m: _has_image(m) and m.id != result.id, RESULT_WAIT)
        child = next(j for j in await world.jobs() if j.id != job.id)
        assert child.parent_job_id == job.id and child.user_id == world.member.id
        assert child.params["seed"] != job.params["seed"] and child.content_sha == job.content_sha
        assert second.attachments[0].data != result.attachments[0].data


async def test_the_instant_preview_shows_first_then_the_gatys_result_and_a_server_may_turn_it_off(
    sql_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = sql_world
    s = world.standin
    await world.store.pause(world.guild.id)  # the jobs wait in the queue: the preview shows while they are queued
    env = stylebot_env(s, url)
    async with running_bot(s, world.store, make_config(s)), stylebot_process("engine", env=env, log=tmp_path / "e.log"):
        inter = await s.run_command("stylize", {**world.images(), "size": 32}, user=world.member)
        await reply_text(s, inter)
        status = await s.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids) and not m.ephemeral)
        previewed = await s.wait_for_message(
            world.channel_id, lambda m: m.id == status.id and _has_instant_preview(m), timeout=RESULT_WAIT
        )
        assert previewed.embeds[0]["title"] == "Queued" and "Instant preview" in previewed.embeds[0]["description"]
        await world.store.resume(world.guild.id)
        result = await s.wait_for_message(world.channel_id, _has_image, timeout=RESULT_WAIT)
        assert result.id == status.id and result.embeds[0]["title"] == "Done"
        shown = ["instant" if any(n.startswith("instant-") for n in _image_names(e.get("embeds") or [])) else "-"
                 for e in result.edits]  # fmt: skip
        assert "instant" in shown and shown[-1] == "-"  # the instant picture came before the Gatys result

        await world.store.update_guild_settings(world.guild.id, previews=False, paused=True)
        inter = await s.run_command("stylize", {**world.images(), "size": 32, "seed": 9}, user=world.member)
        await reply_text(s, inter)
        second = max(await world.jobs(), key=lambda j: j.id)
        await until(lambda: _preview_settled(world, second.id), 30, "the lane settled the job without a preview")
        assert (await world.store.get(second.id)).preview_sha is None
        assert not any(_has_instant_preview(m) for m in s.channel_messages(world.channel_id) if m.id != result.id)


async def _preview_settled(world: World, job_id: int) -> bool:
    return (await world.store.get(job_id)).preview_state is jobqueue.PreviewState.NONE


async def _delivered(world: World, job_id: int) -> bool:
    return (await world.store.get(job_id)).delivered_at is not None


async def test_jobs_queued_before_a_bot_restart_still_complete_and_their_buttons_work(
    sql_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = sql_world
    s = world.standin
    config = make_config(s)
    async with running_bot(s, world.store, config):  # no engine yet: both jobs wait
        for user in (world.member, world.other):
            inter = await s.run_command("stylize", {**world.images(), "size": 32}, user=user)
            await reply_text(s, inter)
        await until(lambda: _announced(world, 2), 10, "two status messages")
    first, second = sorted(await world.jobs(), key=lambda j: j.id)

    async with running_bot(s, world.store, config):  # a new process-worth of client: fresh gateway and view store
        old = s.message(second.target.status_message_id or 0)
        click = await s.click(old, f"sb1:job:{second.id}:cancel", user=world.other)
        assert f"Job #{second.id} cancelled" in await reply_text(s, click)
        async with stylebot_process("engine", env=stylebot_env(s, url), log=tmp_path / "engine.log"):
            result = await s.wait_for_message(world.channel_id, _has_image, timeout=RESULT_WAIT)
            await until(lambda: _delivered(world, first.id), 30, "the first job delivered")
            await until(lambda: _delivered(world, second.id), 30, "the cancelled job's notice delivered")
    assert result.id == first.target.status_message_id
    assert (await world.store.get(first.id)).state is JobState.SUCCEEDED
    assert (await world.store.get(second.id)).state is JobState.CANCELLED
    assert [m for m in s.channel_messages(world.channel_id) if _has_image(m)] == [result]  # posted once


async def _announced(world: World, count: int) -> bool:
    return len([j for j in await world.jobs() if j.target.status_message_id]) == count


async def test_an_engine_killed_mid_job_and_restarted_delivers_the_result_once(
    sql_world: tuple[World, str], tmp_path: Path
) -> None:
    world, url = sql_world
    s = world.standin
    await world.store.update_guild_settings(world.guild.id, max_steps=60)  # seed: long enough to be killed mid-run
    env = stylebot_env(s, url, STYLEBOT_LEASE_SECONDS="2")

    async def running_with_progress() -> bool:
        return any(j.state is JobState.RUNNING and j.progress is not None for j in await world.jobs())

    async with running_bot(s, world.store, make_config(s)):
        inter = await s.run_command("stylize", {**world.images(), "size": 32, "preset": "seed"}, user=world.member)
        assert "Queued as job #" in await reply_text(s, inter)
        async with stylebot_process("engine", env=env, log=tmp_path / "first.log") as first:
            await until(running_with_progress, RESULT_WAIT, "the job running with progress")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        [job] = await world.jobs()
        assert job.state is JobState.RUNNING and job.delivered_at is None  # the dead engine's lease still holds it
        async with stylebot_process("engine", env=env, log=tmp_path / "second.log"):
            result = await s.wait_for_message(world.channel_id, _has_image, timeout=RESULT_WAIT)
            await until(lambda: _delivered(world, job.id), 30, "delivered_at")
    [job] = await world.jobs()
    assert job.state is JobState.SUCCEEDED and job.attempts == 2
    assert result.id == job.target.status_message_id  # the status message became the result
    assert [m for m in s.channel_messages(world.channel_id) if _has_image(m)] == [result]  # posted once
