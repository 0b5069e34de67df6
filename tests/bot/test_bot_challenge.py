"""Challenges end to end against the stand-in: the real Stylebot, the SQL store on SQLite, jobs completed by the test.

The test plays the engine (claims and completes the challenge jobs) because the engine is not the point here, and
moves the challenge clock instead of sleeping through deadlines.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import Stylebot
from jobqueue import SqlChallengeStore
from standin import DEFAULT_MEMBER_PERMISSIONS, Message, UnknownComponent
from tests.bot.challenge_support import Arena, arena, running
from tests.bot.support import reply_text


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Arena]:
    async with arena(tmp_path) as w:
        yield w


async def _vote(world: Arena, post: Message, user: object) -> str:
    """Press the entry's Vote button; the private answer the member reads."""
    inter = await world.standin.click(post, post.custom_ids[0], user=user)  # type: ignore[arg-type]

    def answer() -> str | None:
        if inter.followups:
            return inter.followups[-1].text()
        if inter.callback is not None and inter.callback.type == 4:  # refused: answered directly
            return str((inter.callback.data or {}).get("content"))
        return None

    return await world.standin.wait_for(answer, 10, "vote answer")


def _label(world: Arena, post: Message) -> str:
    return world.standin.message(post.id).components[0]["components"][0]["label"]


async def _entries_ready(world: Arena, n: int) -> list[Message]:
    await world.finish_jobs()
    return await world.wait_entry_posts(n)


async def test_full_lifecycle_with_votes_deadlines_and_winners(world: Arena) -> None:
    s = world.standin
    alice, bob, carol = world.members
    async with running(world):
        start = await world.start(max_entries_per_user=1)
        assert "is open in" in await reply_text(s, start)
        announcement = await s.wait_for_message(world.channel_id, lambda m: not m.ephemeral and bool(m.embeds))
        assert "Night streets" in announcement.text() and "<t:" in announcement.text()
        assert [a.filename for a in announcement.attachments] == ["style.png"]
        thread = world.thread_id()
        assert s.message(announcement.id).thread_id == thread
        for seed, member in enumerate((alice, bob, carol)):
            assert "Your entry #" in await world.submit(member, seed, channel_id=thread if seed else None)
        assert "already have 1 entry" in await world.submit(alice, 7)
        posts = await _entries_ready(world, 3)
        by_author = {p.text().split("<@")[1].split(">")[0]: p for p in posts}
        a, b, c = (by_author[str(m.id)] for m in (alice, bob, carol))
        assert all(p.attachments and p.custom_ids[0].endswith(":vote") for p in (a, b, c))

        assert "counts" in await _vote(world, a, bob)
        await _vote(world, a, carol)
        await _vote(world, b, alice)
        await _vote(world, c, alice)
        assert "counts" in await _vote(world, b, carol)
        assert "taken back" in await _vote(world, b, carol)  # a second press toggles the vote off
        assert "own entry" in await _vote(world, a, alice)
        assert _label(world, a) == "Vote · 2" and _label(world, b) == "Vote · 1"

        world.clock.advance(hours=1)
        world.cog().runner.wake()
        closed = await s.wait_for_message(thread, lambda m: "closed" in m.text())
        assert "keep voting" in closed.text()
        assert "closed" in await world.submit(bob, 8)
        await _vote(world, c, bob)  # voting stays open after submissions close

        world.clock.advance(hours=24)
        world.cog().runner.wake()
        results = await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        text = results.text()
        order = [text.index(f"<@{m.id}>") for m in (alice, carol, bob)]  # ties: alice before carol
        assert order == sorted(order)
        assert [f.filename for f in results.attachments] == ["winner-1.png", "winner-2.png", "winner-3.png"]
        assert {alice.id, bob.id, carol.id} <= set(results.mention_ids)
        await s.wait_for(lambda: s.message(a.id).components[0]["components"][0].get("disabled"), 10, "lock")
        with pytest.raises(UnknownComponent):  # voting is locked on every entry
            await s.click(a, a.custom_ids[0], user=carol)


async def test_ties_go_to_the_earlier_entry(world: Arena) -> None:
    s = world.standin
    alice, bob, carol = world.members
    async with running(world):
        await reply_text(s, await world.start())
        await world.submit(bob, 1)
        await world.submit(alice, 2)
        posts = await _entries_ready(world, 2)
        await _vote(world, posts[0], carol)
        await _vote(world, posts[1], carol)
        end = await s.run_command("challenge end", user=world.organiser)
        assert "has ended" in await reply_text(s, end)
        results = await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        assert results.text().index(f"<@{bob.id}>") < results.text().index(f"<@{alice.id}>")


async def test_vote_after_the_voting_deadline_is_refused(world: Arena) -> None:
    s = world.standin
    alice, bob, _ = world.members
    async with running(world, tick=30.0):  # the runner sleeps: the deadline passes before it locks the buttons
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        await world.finish_jobs()
        await world.cog().runner.run_once()
        [post] = await world.wait_entry_posts(1)
        world.clock.advance(hours=26)
        assert "Voting on this challenge is closed" in await _vote(world, post, bob)
        assert _label(world, post) == "Vote · 0"


async def test_members_cannot_run_organiser_commands(world: Arena) -> None:
    s = world.standin
    alice = world.members[0]
    async with running(world):
        refused = await world.start(user=alice)
        assert "You can't start a challenge" in await reply_text(s, refused)
        assert refused.callback is not None and refused.callback.ephemeral
        await reply_text(s, await world.start())
        for command in ("challenge end", "challenge cancel"):
            inter = await s.run_command(command, user=alice)
            assert "You can't" in await reply_text(s, inter)
        inter = await s.run_command("challenge extend", {"by": "1d"}, user=alice)
        assert "You can't extend" in await reply_text(s, inter)
        assert await world.cog().store.find(world.channel_id) is not None  # still open


async def test_bad_inputs_get_a_clear_ephemeral_answer(world: Arena) -> None:
    s = world.standin
    alice = world.members[0]
    async with running(world):
        inter = await world.start(duration="soon")
        assert "duration" in await reply_text(s, inter)
        inter = await s.run_command("challenge submit", {"content": world.attachment(1)}, user=alice)
        assert "no open challenge" in await reply_text(s, inter)
        await reply_text(s, await world.start())
        again = await world.start()
        assert "already has an open challenge" in await reply_text(s, again)
        text = s.add_attachment(b"not an image", "notes.txt", "text/plain")
        inter = await s.run_command("challenge submit", {"content": text}, user=alice)
        assert "can't be used" in await reply_text(s, inter)
        from tests.engine.animated import animated, panning_frames

        gif = s.add_attachment(animated(panning_frames(3), "GIF"), "clip.gif", "image/gif")
        inter = await s.run_command("challenge submit", {"content": gif}, user=alice)
        assert "only still images" in await reply_text(s, inter)  # entries are shown as stills
        assert await world.job_states() == []


async def test_withdraw_cancels_the_job_and_frees_the_slot(world: Arena) -> None:
    s = world.standin
    alice = world.members[0]
    async with running(world):
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        inter = await s.run_command("challenge withdraw", user=alice)
        assert "withdrawn" in await reply_text(s, inter)
        assert "Your entry #" in await world.submit(alice, 2)
        info = await s.run_command("challenge info", user=world.organiser)
        text = await reply_text(s, info)
        assert "withdrawn" in text and "queued" in text  # organisers see every entry and its job state


async def test_restart_mid_challenge_keeps_entries_votes_and_buttons(world: Arena) -> None:
    s = world.standin
    alice, bob, carol = world.members
    async with running(world):
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        await world.submit(bob, 2)
        posts = await _entries_ready(world, 2)
        await _vote(world, posts[0], carol)
    async with running(world):  # a new process on the same database
        assert "taken back" not in await _vote(world, posts[0], bob)  # the old button still works
        assert _label(world, posts[0]) == "Vote · 2"
        board = await s.run_command("challenge leaderboard", user=carol)
        text = await reply_text(s, board)
        assert text.index(f"<@{alice.id}>") < text.index(f"<@{bob.id}>") and "2 votes" in text
        await world.submit(carol, 3)
        await _entries_ready(world, 3)


async def test_deadline_passed_while_down_is_processed_on_start(world: Arena) -> None:
    s = world.standin
    alice, bob, _ = world.members
    async with running(world):
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        posts = await _entries_ready(world, 1)
        await _vote(world, posts[0], bob)
    world.clock.advance(hours=30)  # both deadlines pass while no bot runs
    async with running(world):
        results = await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        assert f"<@{alice.id}>" in results.text() and "1 vote" in results.text()
        assert any("Submissions to" in m.text() for m in s.channel_messages(world.thread_id()))
        assert await world.cog().store.find(world.channel_id) is None


async def test_the_organiser_role_lets_a_member_organise(world: Arena) -> None:
    s = world.standin
    helper = s.add_member(world.guild.id, name="helper", permissions=DEFAULT_MEMBER_PERMISSIONS | (1 << 13))
    [role_id] = s.state.guilds[world.guild.id].member_roles[helper.id]
    async with running(world):
        assert "You can't start a challenge" in await reply_text(s, await world.start(user=helper))
        refused = await s.run_command("challenge organisers", {"role": role_id}, user=world.members[0])
        assert "You can't" in await reply_text(s, refused)
        granted = await s.run_command("challenge organisers", {"role": role_id}, user=world.organiser)
        assert "can now be organised" in await reply_text(s, granted)
        assert "is open in" in await reply_text(s, await world.start(user=helper))
        assert "has ended" in await reply_text(s, await s.run_command("challenge end", user=helper))


async def test_entries_queued_at_the_deadline_are_admitted_and_unfinished_ones_left_out(world: Arena) -> None:
    s = world.standin
    alice, bob, carol = world.members
    async with running(world):
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        world.clock.advance(hours=2)  # submissions close while alice's entry is still queued
        world.cog().runner.wake()
        await s.wait_for_message(world.thread_id(), lambda m: "closed" in m.text())
        [post] = await _entries_ready(world, 1)  # painted after the deadline: admitted, posted, votable
        assert "counts" in await _vote(world, post, bob)
        assert "closed" in await world.submit(carol, 2)  # a new submission is refused
        world.clock.advance(hours=30)
        world.cog().runner.wake()
        results = await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        assert f"<@{alice.id}>" in results.text()


async def test_end_leaves_unfinished_entries_out_and_cancels_their_jobs(world: Arena) -> None:
    s = world.standin
    alice, bob, _ = world.members
    async with running(world):
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        await _entries_ready(world, 1)
        await world.submit(bob, 2)  # never painted
        await reply_text(s, await s.run_command("challenge end", user=world.organiser))
        results = await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        assert f"<@{alice.id}>" in results.text() and f"<@{bob.id}>" not in results.text()
        assert sorted(await world.job_states()) == ["cancelled", "succeeded"]


async def test_extend_moves_the_deadlines_everywhere(world: Arena) -> None:
    s = world.standin
    async with running(world):
        await reply_text(s, await world.start(duration="1h"))
        announcement = await s.wait_for_message(world.channel_id, lambda m: not m.ephemeral and bool(m.embeds))
        before = await world.cog().store.find(world.channel_id)
        assert before is not None
        reply = await reply_text(s, await s.run_command("challenge extend", {"by": "1d"}, user=world.organiser))
        after = await world.cog().store.find(world.channel_id)
        assert after is not None and after.submissions_close_at == before.submissions_close_at + timedelta(days=1)
        stamp = f"<t:{int(after.submissions_close_at.timestamp())}:F>"
        assert stamp in reply
        await s.wait_for(lambda: stamp in s.message(announcement.id).text(), 10, "announcement updated")
        await s.wait_for_message(world.thread_id(), lambda m: "was extended" in m.text())
        await reply_text(s, await s.run_command("challenge cancel", user=world.organiser))
        await s.wait_for(lambda: "was cancelled" in s.message(announcement.id).text(), 10, "announcement closed")
        late = await s.run_command("challenge extend", {"by": "1d"}, user=world.organiser)
        assert "no open challenge" in await reply_text(s, late)


async def test_submit_respects_the_server_s_cooldown_like_stylize(world: Arena) -> None:
    s = world.standin
    alice = world.members[0]
    async with running(world):
        await reply_text(s, await world.start(max_entries_per_user=3))
        await world.jobs.update_guild_settings(world.guild.id, cooldown_seconds=600)
        assert "Your entry #" in await world.submit(alice, 1)
        assert "going a bit fast" in await world.submit(alice, 2)
        world.clock.advance(seconds=601)
        assert "Your entry #" in await world.submit(alice, 3)


async def test_challenge_text_that_mentions_people_never_pings_them(world: Arena) -> None:
    s = world.standin
    alice, bob, _ = world.members
    loud = f"<@{bob.id}> <@&{world.guild.id}> @everyone @here"
    general = world.guild.channel_ids[1]
    async with running(world):
        await reply_text(s, await world.start(title=f"Hey {loud}"[:100], description=f"Ping {loud}"))
        thread = world.thread_id()
        await world.submit(alice, 1)
        await _entries_ready(world, 1)
        await reply_text(s, await s.run_command("challenge extend", {"by": "1h"}, user=world.organiser))
        world.clock.advance(hours=3)
        world.cog().runner.wake()
        await s.wait_for_message(thread, lambda m: "closed" in m.text())
        await reply_text(s, await world.start(title=f"Second {loud}"[:100], description=loud, channel=general))
        await reply_text(s, await s.run_command("challenge end", user=world.organiser))
        await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        await reply_text(s, await s.run_command("challenge cancel", user=world.organiser, channel_id=general))
        await s.wait_for_message(general, lambda m: "was cancelled" in m.content)
    posted = [m for m in s.messages if m.author_id == s.bot_user.id and m.text()]
    assert sum("@everyone" in m.text() for m in posted) >= 6, s.transcript()  # start, extend, closed, end, cancel
    for m in posted:
        assert bob.id not in m.pinged_user_ids and not m.pinged_role_ids and not m.pings_everyone, m.text()
    [results] = [m for m in posted if m.content.startswith("🏁")]
    assert results.pinged_user_ids == [alice.id]  # the winner is still told


@pytest.mark.parametrize(
    ("option", "value"), [("duration", "9" * 400), ("duration", "1e999h"), ("duration", "-5h"), ("voting", "9" * 400)]
)
async def test_durations_that_do_not_parse_get_a_clear_private_error(world: Arena, option: str, value: str) -> None:
    s = world.standin
    async with running(world):
        inter = await world.start(**{option: value})
        text = await reply_text(s, inter)
        assert f"The {option} option can't be used" in text and len(text) < 300, text
        assert inter.callback is not None and inter.callback.ephemeral
        await reply_text(s, await world.start())
        inter = await s.run_command("challenge extend", {"by": "9" * 400}, user=world.organiser)
        assert "The by option can't be used" in await reply_text(s, inter)


async def test_start_in_another_channel_needs_the_organiser_and_the_bot_to_be_able_to_post_there(
    world: Arena,
) -> None:
    s = world.standin
    general, elsewhere = world.guild.channel_ids[1], s.add_channel(world.guild.id, "news").id
    helper = s.add_member(world.guild.id, name="helper", permissions=DEFAULT_MEMBER_PERMISSIONS | (1 << 13))
    [role_id] = s.state.guilds[world.guild.id].member_roles[helper.id]
    await world.jobs.update_guild_settings(world.guild.id, organiser_role_id=role_id)
    s.deny_member(general, helper)
    s.deny_bot(elsewhere)
    async with running(world):
        refused = await world.start(user=helper, channel=general)
        assert f"You can't post in <#{general}> yourself" in await reply_text(s, refused)
        assert refused.callback is not None and refused.callback.ephemeral
        refused = await world.start(channel=elsewhere)
        assert f"The bot can't post in <#{elsewhere}>: it needs Send Messages" in await reply_text(s, refused)
        assert refused.callback is not None and refused.callback.ephemeral
        assert await world.cog().store.list_open() == []
        assert not [m for m in s.messages if not m.ephemeral and m.channel_id in (general, elsewhere)]
        s.deny_member(general, helper, 0)  # the overwrite is lifted: the same command now works
        assert "is open in" in await reply_text(s, await world.start(user=helper, channel=general))


async def test_submit_decodes_within_the_bots_one_pixel_budget(world: Arena) -> None:
    s = world.standin
    alice, bob, _ = world.members
    async with running(world) as bot:
        await reply_text(s, await world.start(max_entries_per_user=3))
        async with bot.decode_budget.reserve(bot.decode_budget.capacity):  # e.g. /stylize decoding huge images
            inter = await s.run_command("challenge submit", {"content": world.attachment(1)}, user=alice)
            await s.wait_for(lambda: inter.callback, 10, "the acknowledgement")
            await _until_waiting(bot)
            assert inter.original is not None and inter.original.loading and await world.job_states() == []
        assert "Your entry #" in await reply_text(s, inter)  # decoded once the pixels were free
    async with running(world, decode_budget_pixels=40 * 40 - 1) as bot:  # the 40 x 40 picture is above the budget
        inter = await s.run_command("challenge submit", {"content": world.attachment(2)}, user=bob)
        assert "more than this bot can decode" in await reply_text(s, inter)
        assert len(await world.job_states()) == 1


async def _until_waiting(bot: Stylebot) -> None:
    async with asyncio.timeout(10):
        while True:
            if bot.decode_budget.waiting:
                return
            await asyncio.sleep(0.01)


async def test_a_challenge_starts_from_a_library_style(world: Arena) -> None:
    s = world.standin
    values = {"title": "Screams", "description": "Your face", "duration": "1h"}
    async with running(world):
        auto = await s.autocomplete(
            "challenge start", {**values, "style_name": "scre"}, "style_name", user=world.organiser
        )
        assert [c["name"] for c in (await s.wait_for(lambda: auto.callback)).data["choices"]] == ["The Scream"]
        bare = await s.run_command("challenge start", values, user=world.organiser)
        assert "style" in await reply_text(s, bare)
        inter = await s.run_command("challenge start", {**values, "style_name": "The Scream"}, user=world.organiser)
        assert "is open in" in await reply_text(s, inter)
        [challenge] = await SqlChallengeStore(world.jobs).list_open()
        assert await world.jobs.get_blob(challenge.style_sha)
