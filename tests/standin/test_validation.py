"""Bodies Discord refuses are refused by the stand-in too (400 Invalid Form Body, code 50035)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from tests.standin.support import World


@pytest.fixture
async def channel(world: World) -> AsyncIterator[discord.PartialMessageable]:
    client = discord.Client(intents=discord.Intents.none())
    await client.login(world.standin.token)
    try:
        yield client.get_partial_messageable(world.channel_id)
    finally:
        await client.close()


def _view(*custom_ids: str) -> discord.ui.View:
    view = discord.ui.View()
    for cid in custom_ids:
        view.add_item(discord.ui.Button(label=cid[:10] or "x", custom_id=cid))
    return view


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embed": discord.Embed(title="t" * 257)}, "embeds.0.title"),
        ({"embed": discord.Embed().add_field(name="n", value="v" * 1025)}, "embeds.0.fields.0.value"),
        ({"embeds": [discord.Embed(description="d" * 4000) for _ in range(2)]}, "embeds"),
        ({"view": _view("job:1:reroll", "job:1:reroll")}, "components"),
        ({"view": _view("j" * 101)}, "components"),
    ],
)
async def test_invalid_bodies_are_refused(
    world: World, channel: discord.PartialMessageable, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(**kwargs)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert f"({field}:" in caught.value.text
    assert world.standin.channel_messages(world.channel_id) == []


async def test_empty_message_is_refused(world: World, channel: discord.PartialMessageable) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send()
    assert caught.value.code == 50006


async def test_components_v2_layout_keeps_its_flag_and_may_edit_other_flags(
    world: World, channel: discord.PartialMessageable
) -> None:
    view = discord.ui.LayoutView()
    view.add_item(discord.ui.TextDisplay("Result ready"))
    view.add_item(discord.ui.ActionRow(discord.ui.Button(label="Re-roll", custom_id="job:2:reroll")))
    sent = await channel.send(view=view)
    record = world.standin.message(sent.id)
    assert record.flags & (1 << 15) and record.custom_ids == ["job:2:reroll"]
    assert record.text() == "Result ready"
