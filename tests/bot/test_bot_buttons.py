"""The Cancel button on the public status message: the owner or an admin may press it, nobody else."""

from __future__ import annotations

from bot import Stylebot
from jobqueue import JobState
from standin import Message
from tests.bot.support import World, reply_text


async def _queued(world: World) -> tuple[int, Message]:
    await world.standin.run_command("stylize", world.images(), user=world.member)
    status = await world.standin.wait_for_message(world.channel_id, lambda m: bool(m.custom_ids))
    [job] = await world.jobs()
    return job.id, status


async def test_owner_cancels_a_queued_job_with_the_button(world: World, bot: Stylebot) -> None:
    job_id, status = await _queued(world)
    click = await world.standin.click(status, f"sb1:job:{job_id}:cancel", user=world.member)
    assert f"Job #{job_id} cancelled" in await reply_text(world.standin, click)
    assert click.callback is not None and click.callback.ephemeral
    assert (await world.store.get(job_id)).state is JobState.CANCELLED


async def test_another_member_may_not_cancel_but_an_admin_may(world: World, bot: Stylebot) -> None:
    s = world.standin
    job_id, status = await _queued(world)
    click = await s.click(status, f"sb1:job:{job_id}:cancel", user=world.other)
    assert "its owner or a server admin" in await reply_text(s, click)
    assert click.callback is not None and click.callback.ephemeral
    assert (await world.store.get(job_id)).state is JobState.QUEUED

    click = await s.click(status, f"sb1:job:{job_id}:cancel", user=world.admin)
    assert "cancelled" in await reply_text(s, click)
    assert (await world.store.get(job_id)).state is JobState.CANCELLED


async def test_cancelling_a_finished_job_says_why_not(world: World, bot: Stylebot) -> None:
    s = world.standin
    job_id, status = await _queued(world)
    await world.store.cancel(job_id)
    click = await s.click(status, f"sb1:job:{job_id}:cancel", user=world.member)
    assert f"Job #{job_id} is cancelled, so it can't be cancelled" in await reply_text(s, click)


async def test_a_button_from_an_older_scheme_gets_an_answer_instead_of_failing(world: World, bot: Stylebot) -> None:
    import discord

    channel = bot.get_channel(world.channel_id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Re-roll", custom_id="sb0:job:1:reroll"))
    view.stop()
    sent = await channel.send("an old result", view=view)
    click = await world.standin.click(sent.id, "sb0:job:1:reroll", user=world.member)
    assert "older version of the bot" in await reply_text(world.standin, click)
    assert click.callback is not None and click.callback.ephemeral
