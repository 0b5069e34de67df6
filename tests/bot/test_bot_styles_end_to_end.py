"""The style library end to end: the real bot, a real `stylebot engine` process, SQLite, random weights.

An organiser adds a style; a member's /stylize with an autocompleted `style_name` and a member's right-click →
Apps → Stylize on another member's picture both come back as results in the channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot import Stylebot
from jobqueue import JobState, SqlStyleStore
from standin import Message
from tests.bot.support import (
    World,
    make_config,
    png_bytes,
    reply_text,
    standin_world,
    stylebot_env,
    stylebot_process,
)
from tests.standin.support import connected

pytestmark = pytest.mark.slow

RESULT_WAIT = 120.0  # engine start-up (torch import) included


@pytest.fixture
async def engine_world(tmp_path: Path) -> AsyncIterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lib.db'}"
    async with standin_world(url, styles=True) as world:
        s, store = world.standin, world.store
        await store.update_guild_settings(world.guild.id, max_steps=3)
        bot = Stylebot(make_config(s), store, styles=SqlStyleStore(store), guild_ready_timeout=0.05)  # type: ignore[arg-type]
        env = stylebot_env(s, url)
        async with connected(bot, s.token), stylebot_process("engine", env=env, log=tmp_path / "e.log"):
            yield world


def _result_of(job_id: int) -> Callable[[Message], bool]:
    def done(m: Message) -> bool:
        footer = " ".join(str((e.get("footer") or {}).get("text", "")) for e in m.embeds)
        return f"Job #{job_id}" in footer and any(e.get("title") == "Done" for e in m.embeds)

    return done


async def test_a_library_style_and_a_right_clicked_picture_come_back_as_results(engine_world: World) -> None:
    world = engine_world
    s = world.standin
    image = s.add_attachment(png_bytes(40, 40, 5), "blue.png", "image/png")
    added = await s.run_command("style add", {"name": "Blue Period", "image": image}, user=world.admin)
    assert "Added **Blue Period**" in await reply_text(s, added)

    auto = await s.autocomplete("stylize", {"style_name": "blu"}, "style_name", user=world.member)
    [choice] = (await s.wait_for(lambda: auto.callback, what="the choices")).data["choices"]
    content = s.add_attachment(png_bytes(40, 40, 1), "me.png", "image/png")
    options = {"content": content, "style_name": choice["value"], "size": 32}
    inter = await s.run_command("stylize", options, user=world.member)
    assert "Queued as job #" in await reply_text(s, inter)
    [first] = await world.jobs()
    await s.wait_for_message(world.channel_id, _result_of(first.id), timeout=RESULT_WAIT)

    photo = s.add_attachment(png_bytes(40, 40, 7), "bob.png", "image/png")
    posted = s.post_message(world.channel_id, "my cat", user=world.other, attachments=[photo])
    menu = await s.context_menu("Stylize", posted, user=world.member)
    picker = await s.wait_for(lambda: menu.original, what="the style picker")
    pick = await s.click(picker, picker.custom_ids[0], user=world.member, values=["name:Blue Period"])
    assert "Queued as job #" in await reply_text(s, pick)
    second = max(await world.jobs(), key=lambda j: j.id)
    await s.wait_for_message(world.channel_id, _result_of(second.id), timeout=RESULT_WAIT)
    assert {j.state for j in await world.jobs()} == {JobState.SUCCEEDED}
