"""DiscordPoster + DeliveryLoop against the real stand-in over sockets, with InMemoryJobStore."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime, timedelta

import discord
import pytest
from PIL import Image

from delivery import (
    RANDOM_WEIGHTS_NOTE,
    DeliveryLoop,
    DiscordPoster,
    MissingPermissions,
    PermanentDeliveryError,
    custom_ids,
    login_client,
    render_job,
    run_delivery,
)
from jobqueue import DeliveryTarget, Job, TargetKind
from jobqueue.testing import InMemoryJobStore
from standin import Interaction, Message, Standin, patch_discord
from tests.delivery.helpers import fail, png, run_job, submit, succeed
from tests.delivery.test_delivery_loop import FlakyMarkStore
from tests.standin.support import SampleBot, World, png_bytes


async def _status_message(world: World) -> tuple[Interaction, Message]:
    """A member runs /stylize; the sample bot defers and posts the public status follow-up."""
    s = world.standin
    picture = s.add_attachment(png_bytes(), "c.png", "image/png")
    inter = await s.run_command("stylize", {"content": picture, "style": picture}, user=world.member)
    await s.wait_for(lambda: inter.followups, what="the status follow-up")
    return inter, inter.followups[0]


def _target(world: World, inter: Interaction, status: Message, *, age: timedelta = timedelta(0)) -> DeliveryTarget:
    return DeliveryTarget(
        kind=TargetKind.INTERACTION,
        application_id=world.standin.application_id,
        interaction_id=inter.id,
        interaction_token=inter.token,
        token_created_at=datetime.now(UTC) - age,
        channel_id=world.channel_id,
        status_message_id=status.id,
    )


def _channel(world: World) -> DeliveryTarget:
    return DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=world.channel_id)


async def _job(store: InMemoryJobStore, world: World, target: DeliveryTarget, **params: object) -> Job:
    job = await submit(store, target, **params)
    return job


def _loop(store: InMemoryJobStore, client: discord.Client) -> DeliveryLoop:
    return DeliveryLoop(store, DiscordPoster(client), poll_interval=0.01, progress_interval=0.0)


async def test_result_is_posted_by_editing_the_status_message(
    world: World, bot: SampleBot, rest_client: discord.Client
) -> None:
    s, store = world.standin, InMemoryJobStore()
    inter, status = await _status_message(world)
    job = await succeed(store, await _job(store, world, _target(world, inter, status)), result=png(40))
    before = len(s.channel_messages(world.channel_id))
    assert await _loop(store, rest_client).run_once() == 1
    assert len(s.channel_messages(world.channel_id)) == before  # nothing new: the status message changed
    [embed] = status.embeds
    [file] = status.attachments
    assert embed["title"] == "Done" and embed["image"]["url"] == f"attachment://{file.filename}"
    assert file.data == await store.get_blob(job.result_sha)
    actions = [custom_ids.parse(cid) for cid in status.custom_ids]
    assert [(p.id, p.action) for p in actions if p] == [(job.id, a) for a in ("reroll", "stronger", "weaker", "save")]
    assert (await store.get(job.id)).delivered_at is not None


async def test_progress_edits_the_status_message_with_a_preview(
    world: World, bot: SampleBot, rest_client: discord.Client
) -> None:
    store = InMemoryJobStore()
    inter, status = await _status_message(world)
    job = await _job(store, world, _target(world, inter, status))
    await run_job(store, job, step=30, total=120, preview=png(16))
    assert await _loop(store, rest_client).update_progress() == 1
    assert "30/120" in status.embeds[0]["description"] and "25%" in status.embeds[0]["description"]
    assert [a.filename for a in status.attachments] == ["preview.png"]
    assert custom_ids.parse(status.custom_ids[0]) == custom_ids.ParsedId("job", job.id, "cancel")


async def test_expired_token_posts_a_channel_message_mentioning_the_user(
    world: World, bot: SampleBot, rest_client: discord.Client
) -> None:
    s, store = world.standin, InMemoryJobStore()
    inter, status = await _status_message(world)
    target = _target(world, inter, status, age=timedelta(minutes=20))
    job = await succeed(store, await _job(store, world, target))
    webhook_calls = sum(r.path.startswith("/webhooks/") for r in s.requests)
    await _loop(store, rest_client).run_once()
    msg = await s.wait_for_message(world.channel_id, lambda m: m.nonce is not None)
    assert f"<@{job.user_id}>" in msg.content and msg.attachments and msg.embeds[0]["title"] == "Done"
    assert sum(r.path.startswith("/webhooks/") for r in s.requests) == webhook_calls  # dead token not even tried
    assert (await store.get(job.id)).delivered_at is not None
    assert str(msg.id) in status.embeds[0]["description"] and status.custom_ids == []  # old message points there


async def test_token_rejected_by_discord_falls_back_to_the_channel(
    world: World, bot: SampleBot, rest_client: discord.Client
) -> None:
    s, store = world.standin, InMemoryJobStore()
    inter, status = await _status_message(world)
    job = await succeed(store, await _job(store, world, _target(world, inter, status)))
    s.expire_interaction_token(inter.token)
    await _loop(store, rest_client).run_once()
    msg = await s.wait_for_message(world.channel_id, lambda m: m.nonce is not None)
    assert f"<@{job.user_id}>" in msg.content and msg.attachments
    assert (401, "PATCH") in {(r.status, r.method) for r in s.requests if r.path.startswith("/webhooks/")}


async def test_repeat_after_crash_does_not_post_twice(world: World, rest_client: discord.Client) -> None:
    s, store = world.standin, FlakyMarkStore()
    await succeed(store, await submit(store, _channel(world)))
    assert await _loop(store, rest_client).run_once() == 0  # posted; the mark is lost (the engine "crashed")
    store.broken = False
    assert await _loop(store, rest_client).run_once() == 1  # the next engine repeats the post: same nonce
    posted = [m for m in s.channel_messages(world.channel_id) if m.nonce]
    assert len(posted) == 1
    assert sum(r.method == "POST" and r.path.endswith("/messages") for r in s.requests) == 2


async def test_rate_limit_is_retried_and_nothing_is_lost(world: World, rest_client: discord.Client) -> None:
    s, store = world.standin, InMemoryJobStore()
    job = await succeed(store, await submit(store, _channel(world)))
    s.rate_limit("POST", r"/channels/\d+/messages$", times=1, retry_after=0.05)
    async with asyncio.timeout(10):
        await _loop(store, rest_client).run_until_idle()
    statuses = [r.status for r in s.requests if r.method == "POST"]
    assert statuses == [429, 200]
    assert len(s.channel_messages(world.channel_id)) == 1 and (await store.get(job.id)).delivered_at is not None


async def test_oversized_result_is_reencoded_below_the_upload_limit(world: World, rest_client: discord.Client) -> None:
    s, store = world.standin, InMemoryJobStore()
    limit = 96 * 1024
    big = png(320, noise=True)
    assert len(big) > limit
    target = _channel(world)
    await succeed(store, await submit(store, target, attachment_size_limit=limit), result=big)
    await _loop(store, rest_client).run_once()
    [msg] = s.channel_messages(world.channel_id)
    [file] = msg.attachments
    assert len(file.data) <= limit
    with Image.open(io.BytesIO(file.data)) as im:
        assert im.size[0] >= 64


async def test_failed_job_tells_the_user_why(world: World, bot: SampleBot, rest_client: discord.Client) -> None:
    store = InMemoryJobStore()
    inter, status = await _status_message(world)
    await run_job(store, await _job(store, world, _target(world, inter, status)), preview=png(16))
    [job] = await store.list_jobs()
    claimed = await store.get(job.id)
    await store.fail(claimed, error="CUDA out of memory (tried to allocate 2 GiB)", retryable=False)
    await _loop(store, rest_client).run_once()
    [embed] = status.embeds
    assert embed["title"] == "Failed" and "memory" in embed["description"] and "smaller size" in embed["description"]
    assert "CUDA" not in embed["description"] and status.attachments == [] and status.custom_ids == []


async def test_random_weights_note_is_posted(world: World, rest_client: discord.Client) -> None:
    s, store = world.standin, InMemoryJobStore()
    target = _channel(world)
    await succeed(store, await submit(store, target), random_weights=True)
    await _loop(store, rest_client).run_once()
    [msg] = s.channel_messages(world.channel_id)
    assert RANDOM_WEIGHTS_NOTE in msg.embeds[0]["description"] and "RANDOM" in msg.content


async def test_missing_permission_is_a_permanent_error_with_a_clear_line(
    world: World, rest_client: discord.Client
) -> None:
    s, store = world.standin, InMemoryJobStore()
    job = await succeed(store, await submit(store, _channel(world)))
    s.fail_next("POST", r"/messages$", status=403)
    with pytest.raises(MissingPermissions, match="Send Messages") as caught:
        await DiscordPoster(rest_client).deliver(job, render_job(job))
    assert caught.value.channel_id == world.channel_id


async def test_run_delivery_logs_in_and_posts_until_cancelled(world: World) -> None:
    s, store = world.standin, InMemoryJobStore()
    await succeed(store, await submit(store, _channel(world)))
    task = asyncio.create_task(run_delivery(store, token=s.token, api_base=s.api_base, poll_interval=0.05))
    try:
        await s.wait_for_message(world.channel_id, lambda m: bool(m.attachments), timeout=10)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert s.api_base.rstrip("/") == discord.http.Route.BASE  # restored to the fixture's patch


async def test_run_delivery_without_token_is_disabled_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(run_delivery(InMemoryJobStore(), token=None), 1)
    assert [r.getMessage() for r in caplog.records if "DISCORD_TOKEN" in r.getMessage()]


async def test_failed_job_helper_is_delivered_in_channel(world: World, rest_client: discord.Client) -> None:
    s, store = world.standin, InMemoryJobStore()
    target = _channel(world)
    await fail(store, await submit(store, target), "time limit exceeded")
    await _loop(store, rest_client).run_once()
    [msg] = s.channel_messages(world.channel_id)
    assert msg.embeds[0]["title"] == "Failed" and "time limit" in msg.embeds[0]["description"]


async def test_rate_limited_status_edit_is_retried(world: World, bot: SampleBot, rest_client: discord.Client) -> None:
    s, store = world.standin, InMemoryJobStore()
    inter, status = await _status_message(world)
    job = await succeed(store, await _job(store, world, _target(world, inter, status)))
    s.rate_limit("PATCH", r"^/webhooks/", times=1, retry_after=0.05)
    before = len(s.requests)
    async with asyncio.timeout(10):
        await _loop(store, rest_client).run_until_idle()
    assert [r.status for r in s.requests[before:] if r.method == "PATCH"] == [429, 200]
    assert status.embeds[0]["title"] == "Done" and (await store.get(job.id)).delivered_at is not None


async def test_discord_upload_limit_below_the_jobs_is_met_by_reencoding() -> None:
    limit = 120 * 1024
    async with Standin(upload_limit=limit) as s:
        guild = s.add_guild("Small", channels=("general",))
        with patch_discord(s.api_base, s.gateway_url):
            client = discord.Client(intents=discord.Intents.none())
            await client.login(s.token)
            try:
                store = InMemoryJobStore()
                target = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=guild.channel_id)
                job = await succeed(store, await submit(store, target), result=png(320, noise=True))
                assert await _loop(store, client).run_once() == 1
            finally:
                await client.close()
        [msg] = s.channel_messages(guild.channel_id)
        assert len(msg.attachments[0].data) <= limit and (413, "POST") in {(r.status, r.method) for r in s.requests}
        assert msg.embeds[0]["image"]["url"] == f"attachment://{msg.attachments[0].filename}"
        assert job.id


async def test_login_retries_network_errors_and_refuses_a_bad_token(world: World) -> None:
    s = world.standin
    s.fail_next("GET", r"^/users/@me$", status=502, times=1)
    client = await login_client(s.token, delay=0.01)
    await client.close()
    s.revoke_token()
    with pytest.raises(PermanentDeliveryError, match="DISCORD_TOKEN was rejected"):
        await login_client(s.token, delay=0.01)


async def test_cancelled_job_after_token_death_edits_quietly(world: World, rest_client: discord.Client) -> None:
    s, store = world.standin, InMemoryJobStore()
    status = await rest_client.get_partial_messageable(world.channel_id).send("queued")
    target = DeliveryTarget(
        kind=TargetKind.INTERACTION,
        application_id=s.application_id,
        interaction_token="dead",
        token_created_at=datetime.now(UTC) - timedelta(hours=1),
        channel_id=world.channel_id,
        status_message_id=status.id,
    )
    job = await submit(store, target)
    await store.cancel(job.id)
    assert await _loop(store, rest_client).run_once() == 1
    assert [m.id for m in s.channel_messages(world.channel_id)] == [status.id]  # no new message for a cancel
    assert s.message(status.id).embeds[0]["title"] == "Cancelled" and s.message(status.id).custom_ids == []
