""" "Save as style" against the stand-in: an organiser presses the button on a result or a challenge announcement, gets
a modal, names the style and it is in the library; members, other servers, deleted pictures, built-ins and a full
library are refused privately; the saved style stays its uploader's (/forget deletes it); it survives a restart."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import Stylebot
from delivery import render_job, to_view
from jobqueue import Job, SqlChallengeStore, SqlJobStore, SqlStyleStore, StyleNotFound
from standin import EPHEMERAL, Guild, Interaction, Message, Standin, User
from tests.bot.support import make_config, png_bytes, reply_text, standin_world, until
from tests.standin.support import connected


@dataclass
class Lib:
    standin: Standin
    guild: Guild
    member: User  # alice: makes pictures
    other: User  # bob: a member without rights
    admin: User  # root: Manage Server, an organiser
    store: SqlJobStore
    styles: SqlStyleStore
    config: dict[str, Any]
    bot: Stylebot | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Stylebot]:
        """A Stylebot on the world's stores (start it again for a restart)."""
        challenges = SqlChallengeStore(self.store)
        config = make_config(self.standin, **self.config)
        bot = Stylebot(config, self.store, styles=self.styles, challenges=challenges, guild_ready_timeout=0.05)
        async with connected(bot, self.standin.token):
            self.bot = bot
            yield bot

    async def result(self, **styles: Any) -> tuple[Job, Message]:
        """Alice's /stylize, finished as the engine would, and its result message posted with delivery's buttons."""
        s = self.standin
        content = s.add_attachment(png_bytes(40, 40, 1), "me.png", "image/png")
        styles = styles or {"style": s.add_attachment(png_bytes(40, 40, 3), "sky.png", "image/png")}
        where = self.guild.channel_id
        inter = await s.run_command("stylize", {"content": content, **styles}, user=self.member, channel_id=where)
        await reply_text(s, inter)
        [claimed] = await self.store.claim("test-engine", lease_seconds=60)
        await self.store.complete(claimed, result=png_bytes(32, 32, 8), meta={"weights": "random"})
        job = await self.store.get(claimed.id)
        return job, await self.post(job, where)

    async def post(self, job: Job, channel_id: int) -> Message:
        """The job's result message in `channel_id`, with the buttons delivery renders for it."""
        assert self.bot is not None
        sent = await self.bot.get_partial_messageable(channel_id).send("a result", view=to_view(render_job(job)))
        return self.standin.message(sent.id)

    async def press(self, message: Message, custom_id: str, user: User) -> Interaction:
        return await self.standin.click(message, custom_id, user=user)

    async def refused(self, click: Interaction) -> str:
        text = await reply_text(self.standin, click)
        assert click.callback is not None and click.callback.type == 4 and click.callback.flags & EPHEMERAL
        return text

    async def save(self, click: Interaction, name: str, description: str = "") -> str:
        modal = await self.standin.wait_for(lambda: next((c for c in click.callbacks if c.type == 9), None))
        assert modal.data["custom_id"] == click.payload["data"]["custom_id"]
        submitted = await self.standin.submit_modal(click, {"name": name, "description": description})
        text = await reply_text(self.standin, submitted)
        assert submitted.original is not None and submitted.original.ephemeral
        return text


@pytest.fixture
async def lib(tmp_path: Path) -> AsyncIterator[Lib]:
    async with standin_world(f"sqlite+aiosqlite:///{tmp_path / 'save.db'}", styles=True) as w:
        store = w.store
        assert isinstance(store, SqlJobStore)
        yield Lib(
            w.standin, w.guild, w.member, w.other, w.admin, store, SqlStyleStore(store), {"max_styles_per_guild": 3}
        )


def _save_id(job: Job) -> str:
    return f"sb1:job:{job.id}:save"


async def test_an_organiser_saves_a_results_style_picture_and_its_uploaders_forget_deletes_it(lib: Lib) -> None:
    async with lib.running():
        job, result = await lib.result()
        assert _save_id(job) in result.custom_ids
        click = await lib.press(result, _save_id(job), lib.admin)
        text = await lib.save(click, "  Alice's   Sky ", "Blue and   calm")
        assert "Saved **Alice's Sky**" in text and f"job #{job.id}" in text
        style = await lib.styles.get(lib.guild.id, "alice's sky")
        assert style.sha == job.style_shas[0] and style.sha != job.result_sha
        assert (style.owner_id, style.added_by, style.description) == (lib.member.id, lib.admin.id, "Blue and calm")

        auto = await lib.standin.autocomplete("stylize", {"style_name": "ali"}, "style_name", user=lib.other)
        choices = (await lib.standin.wait_for(lambda: auto.callback)).data["choices"]
        assert [c["name"] for c in choices] == ["Alice's Sky"]  # the library's cache was refreshed

        forget = await lib.standin.run_command("forget", user=lib.member)
        await reply_text(lib.standin, forget)
        with pytest.raises(StyleNotFound):
            await lib.styles.get(lib.guild.id, "Alice's Sky")


async def test_members_without_the_right_are_refused_privately_and_nothing_is_stored(lib: Lib) -> None:
    async with lib.running():
        job, result = await lib.result()
        for user in (lib.other, lib.member):  # the picture's own member is no organiser either
            text = await lib.refused(await lib.press(result, _save_id(job), user))
            assert "can't add styles to this server's library" in text and "Manage Server" in text
        assert await lib.styles.list_styles(lib.guild.id) == []


async def test_the_submit_checks_the_right_again(lib: Lib) -> None:
    async with lib.running():
        job, result = await lib.result()
        click = await lib.press(result, _save_id(job), lib.admin)
        await lib.standin.wait_for(lambda: click.callback, what="the modal")
        lib.standin.add_member(lib.guild.id, user_id=lib.admin.id)  # Manage Server taken away meanwhile
        submitted = await lib.standin.submit_modal(click, {"name": "Too Late"})
        assert "can't add styles" in await reply_text(lib.standin, submitted)
        assert await lib.styles.list_styles(lib.guild.id) == []


async def test_a_press_in_another_server_or_for_its_job_is_refused(lib: Lib) -> None:
    s = lib.standin
    elsewhere = s.add_guild("Elsewhere")
    s.add_member(elsewhere.id, user_id=lib.admin.id, admin=True)  # an organiser there too
    async with lib.running():
        job, _ = await lib.result()
        posted_there = await lib.post(job, elsewhere.channel_id)  # the button of a job of this server, over there
        text = await lib.refused(await lib.press(posted_there, _save_id(job), lib.admin))
        assert "can't save a picture from another server" in text
        assert await lib.styles.list_styles(elsewhere.id) == [] and await lib.styles.list_styles(lib.guild.id) == []


async def test_a_forged_save_id_for_a_challenge_entrys_job_is_refused(lib: Lib) -> None:
    import discord

    from jobqueue import NewJob

    sha = await lib.store.put_blob(png_bytes(40, 40, 4))
    entry = NewJob(user_id=lib.member.id, content_sha=sha, style_shas=(sha,), params={}, guild_id=lib.guild.id,
                   kind="challenge")  # fmt: skip
    job = await lib.store.enqueue(entry)
    async with lib.running() as bot:
        view = discord.ui.View().add_item(discord.ui.Button(label="Save", custom_id=_save_id(job)))
        sent = await bot.get_partial_messageable(lib.guild.channel_id).send("forged", view=view)
        text = await lib.refused(await lib.press(lib.standin.message(sent.id), _save_id(job), lib.admin))
        assert "is a challenge entry" in text
        assert await lib.styles.list_styles(lib.guild.id) == [] and await lib.styles.owners_of(sha) == []


async def test_a_deleted_picture_gets_a_clear_message_on_press_and_on_submit(lib: Lib) -> None:
    s = lib.standin
    async with lib.running():
        job, result = await lib.result()
        click = await lib.press(result, _save_id(job), lib.admin)
        await s.wait_for(lambda: click.callback, what="the modal")
        await reply_text(s, await s.run_command("forget", user=lib.member))  # between the press and the submit
        submitted = await s.submit_modal(click, {"name": "Gone"})
        assert "is no longer stored" in await reply_text(s, submitted)
        text = await lib.refused(await lib.press(result, _save_id(job), lib.admin))
        assert f"The style picture of job #{job.id} is no longer stored" in text
        assert await lib.styles.list_styles(lib.guild.id) == []


async def test_name_rules_the_cap_and_built_ins_are_those_of_style_add(lib: Lib) -> None:
    s = lib.standin
    async with lib.running():
        job, result = await lib.result()
        bad = await lib.save(await lib.press(result, _save_id(job), lib.admin), "<@123> pings")
        assert bad.startswith("That style name can't be used") and "mention" in bad
        reserved = await lib.save(await lib.press(result, _save_id(job), lib.admin), "starry NIGHT")
        assert "built-in style" in reserved
        assert "Saved" in await lib.save(await lib.press(result, _save_id(job), lib.admin), "One")
        taken = await lib.save(await lib.press(result, _save_id(job), lib.admin), "ONE")
        assert "already has a style called ONE" in taken

        builtin_job, builtin_result = await lib.result(style_name="The Scream")
        text = await lib.refused(await lib.press(builtin_result, _save_id(builtin_job), lib.admin))
        assert "is the built-in The Scream" in text

        for n in (2, 3):
            await s.run_command("style add", {"name": f"Filler {n}", "image": _image(s, n)}, user=lib.admin)
        await _until_styles(lib, 3)
        full = await lib.refused(await lib.press(result, _save_id(job), lib.admin))
        assert "library is full (3 styles)" in full


async def test_a_result_made_with_a_library_style_stays_that_styles_uploaders(lib: Lib) -> None:
    s = lib.standin
    async with lib.running():
        await reply_text(s, await s.run_command("style add", {"name": "Blue", "image": _image(s, 5)}, user=lib.admin))
        job, result = await lib.result(style_name="Blue")
        await lib.save(await lib.press(result, _save_id(job), lib.admin), "Blue Again")
        assert (await lib.styles.get(lib.guild.id, "Blue Again")).owner_id == lib.admin.id  # not alice's picture
        await reply_text(s, await s.run_command("forget", user=lib.member))
        assert [st.name for st in await lib.styles.list_styles(lib.guild.id)] == ["Blue", "Blue Again"]


async def test_a_two_style_result_saves_its_first_style_and_says_so(lib: Lib) -> None:
    s = lib.standin
    async with lib.running():
        second = s.add_attachment(png_bytes(40, 40, 6), "b.png", "image/png")
        job, result = await lib.result(style=_image(s, 4), style2=second)
        click = await lib.press(result, _save_id(job), lib.admin)
        modal = await s.wait_for(lambda: next((c for c in click.callbacks if c.type == 9), None))
        assert "first of its 2 styles" in str(modal.data["components"])
        await lib.save(click, "First")
        assert (await lib.styles.get(lib.guild.id, "First")).sha == job.style_shas[0] != job.style_shas[1]


async def test_the_button_and_an_open_modal_keep_working_across_a_restart(lib: Lib) -> None:
    async with lib.running():
        job, result = await lib.result()
        click = await lib.press(result, _save_id(job), lib.admin)
        await lib.standin.wait_for(lambda: click.callback, what="the modal")
    async with lib.running():  # a new process: nothing in memory
        assert "Saved **Kept**" in await lib.save(click, "Kept")
        again = await lib.press(result, _save_id(job), lib.admin)
        assert "already has a style called kept" in await lib.save(again, "kept")


async def test_an_organiser_saves_a_challenges_style_from_its_announcement(lib: Lib) -> None:
    s = lib.standin
    async with lib.running():
        values = {"style": _image(s, 9), "title": "Night streets", "description": "Yours", "duration": "1h"}
        await reply_text(s, await s.run_command("challenge start", values, user=lib.admin))
        announcement = await s.wait_for_message(lib.guild.channel_id, lambda m: not m.ephemeral and bool(m.embeds))
        [save_id] = [c for c in announcement.custom_ids if c.endswith(":save")]
        assert save_id.startswith("sb1:challenge:")
        text = await lib.refused(await lib.press(announcement, save_id, lib.other))
        assert "can't add styles" in text
        assert "Saved **Night**" in await lib.save(await lib.press(announcement, save_id, lib.admin), "Night")
        challenge = await SqlChallengeStore(lib.store).get(int(save_id.split(":")[2]))
        style = await lib.styles.get(lib.guild.id, "Night")
        assert (style.sha, style.owner_id) == (challenge.style_sha, lib.admin.id)

        await reply_text(s, await s.run_command("challenge end", user=lib.admin, channel_id=lib.guild.channel_id))
        results = await s.wait_for_message(lib.guild.channel_id, lambda m: m.content.startswith("🏁"))
        assert results.custom_ids == [save_id]


def _image(s: Standin, seed: int) -> dict[str, Any]:
    return s.add_attachment(png_bytes(40, 40, seed), f"s{seed}.png", "image/png")


async def _until_styles(lib: Lib, n: int) -> None:
    async def count() -> bool:
        return len(await lib.styles.list_styles(lib.guild.id)) >= n

    await until(count, what=f"{n} styles")
