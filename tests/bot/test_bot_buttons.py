"""Job buttons: Cancel for the owner or an admin; Re-roll, Stronger, Weaker for the owner only, in the job's server."""

from __future__ import annotations

import discord

from bot import Stylebot
from delivery.custom_ids import JobAction, job_button_id
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
    channel = bot.get_channel(world.channel_id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Re-roll", custom_id="sb0:job:1:reroll"))
    view.stop()
    sent = await channel.send("an old result", view=view)
    click = await world.standin.click(sent.id, "sb0:job:1:reroll", user=world.member)
    assert "older version of the bot" in await reply_text(world.standin, click)
    assert click.callback is not None and click.callback.ephemeral


async def _result_message(bot: Stylebot, channel_id: int, job_id: int) -> int:
    """A result message with the Re-roll / Stronger / Weaker buttons of `job_id`, as delivery posts them."""
    view = discord.ui.View()
    for action in (JobAction.REROLL, JobAction.STRONGER, JobAction.WEAKER):
        view.add_item(discord.ui.Button(label=action.value, custom_id=job_button_id(job_id, action)))
    view.stop()
    sent = await bot.get_partial_messageable(channel_id).send("a result", view=view)
    return sent.id


async def test_only_the_owner_may_reroll_or_change_the_strength_of_a_result(world: World, bot: Stylebot) -> None:
    s = world.standin
    job_id, _ = await _queued(world)
    result = await _result_message(bot, world.channel_id, job_id)
    for action in ("reroll", "stronger", "weaker"):
        click = await s.click(result, f"sb1:job:{job_id}:{action}", user=world.other)
        assert f"Only the member who asked for job #{job_id} can" in await reply_text(s, click)
        assert click.callback is not None and click.callback.ephemeral
    click = await s.click(result, f"sb1:job:{job_id}:weaker", user=world.admin)  # an admin may cancel, not derive
    assert "Only the member who asked" in await reply_text(s, click)
    assert [j.id for j in await world.jobs()] == [job_id]  # no job was made

    click = await s.click(result, f"sb1:job:{job_id}:weaker", user=world.member)
    assert "Queued as job #" in await reply_text(s, click)
    child = next(j for j in await world.jobs() if j.id != job_id)
    assert child.parent_job_id == job_id and child.user_id == world.member.id


async def test_result_buttons_work_only_in_the_jobs_own_server(world: World, bot: Stylebot) -> None:
    s = world.standin
    job_id, _ = await _queued(world)
    elsewhere = s.add_guild("Elsewhere")
    s.add_member(elsewhere.id, user_id=world.member.id)
    dm = s.open_dm(world.member)
    for channel_id in (elsewhere.channel_id, dm.id):
        result = await _result_message(bot, channel_id, job_id)
        click = await s.click(result, f"sb1:job:{job_id}:reroll", user=world.member)
        assert "made in another server" in await reply_text(s, click)
        assert click.callback is not None and click.callback.ephemeral
    assert [j.id for j in await world.jobs()] == [job_id]


async def test_result_buttons_respect_the_servers_allowed_presets(world: World, bot: Stylebot) -> None:
    s = world.standin
    job_id, _ = await _queued(world)  # preset "fast"
    await world.store.update_guild_settings(world.guild.id, allowed_presets=("seed",))
    result = await _result_message(bot, world.channel_id, job_id)
    click = await s.click(result, f"sb1:job:{job_id}:stronger", user=world.member)
    assert "The fast preset is off on this server" in await reply_text(s, click)
    assert click.callback is not None and click.callback.ephemeral
    assert [j.id for j in await world.jobs()] == [job_id]
