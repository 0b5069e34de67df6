"""Message context-menu commands, select menus and autocomplete answers as Discord delivers and checks them."""

from __future__ import annotations

import discord
import pytest

from standin import BadOption
from tests.standin.support import World, png_bytes, running_bot


async def test_a_message_command_carries_the_whole_target_message_without_message_content(world: World) -> None:
    s = world.standin
    seen: list[tuple[int, list[str], list[str | None]]] = []
    async with running_bot(world) as bot:

        @bot.tree.context_menu(name="Inspect", guild=discord.Object(world.guild.id))
        async def inspect(interaction: discord.Interaction, message: discord.Message) -> None:
            proxies = [e.thumbnail.proxy_url for e in message.embeds]
            seen.append((message.id, [a.filename for a in message.attachments], proxies))
            await interaction.response.send_message("ok", ephemeral=True)

        await bot.tree.sync(guild=discord.Object(world.guild.id))
        att = s.add_attachment(png_bytes(), "photo.png", "image/png")
        picture = s.post_message(world.channel_id, user=world.admin, attachments=[att])
        linked = s.post_message(world.channel_id, "look", user=world.admin, embeds=[s.image_embed(att)])
        for target in (picture, linked):
            inter = await s.context_menu("Inspect", target, user=world.member)
            await s.wait_for(lambda inter=inter: inter.callback, what="the answer")
            data = inter.payload["data"]
            assert data["type"] == 3 and data["target_id"] == str(target.id)
            assert str(target.id) in data["resolved"]["messages"]
    assert seen[0][:2] == (picture.id, ["photo.png"])
    assert seen[1][0] == linked.id and seen[1][2] == [att["proxy_url"]]


async def test_more_than_five_message_commands_are_refused_at_sync(world: World) -> None:
    async with running_bot(world) as bot:  # discord.py refuses a sixth itself: send the payload as another client could
        assert bot.application_id is not None
        payload = [{"name": f"Menu {n}", "type": 3} for n in range(6)]
        with pytest.raises(discord.HTTPException) as info:
            await bot.http.bulk_upsert_global_commands(bot.application_id, payload)
        assert info.value.code == 30032
        await bot.http.bulk_upsert_global_commands(bot.application_id, payload[:5])
        assert len([c for c in world.standin.commands() if c["type"] == 3]) == 5


async def test_a_select_offers_only_its_options_and_autocomplete_answers_at_most_25(world: World) -> None:
    s = world.standin
    async with running_bot(world) as bot:

        @bot.tree.command(name="pick", description="a select", guild=discord.Object(world.guild.id))
        async def pick(interaction: discord.Interaction) -> None:
            view = discord.ui.View()
            view.add_item(discord.ui.Select(custom_id="p", options=[discord.SelectOption(label="A", value="a")]))
            await interaction.response.send_message("pick", view=view)

        @bot.tree.command(name="many", description="too many choices", guild=discord.Object(world.guild.id))
        async def many(interaction: discord.Interaction, name: str) -> None: ...

        @many.autocomplete("name")
        async def names(interaction: discord.Interaction, current: str) -> list[discord.app_commands.Choice[str]]:
            return [discord.app_commands.Choice(name=str(n), value=str(n)) for n in range(30)]

        await bot.tree.sync(guild=discord.Object(world.guild.id))
        inter = await s.run_command("pick", user=world.member)
        message = await s.wait_for(lambda: inter.original, what="the select")
        with pytest.raises(BadOption):
            await s.click(message, "p", user=world.member, values=["zzz"])
        auto = await s.autocomplete("many", {"name": ""}, "name", user=world.member)
        await s.wait_for(lambda: [r for r in s.requests if "/callback" in r.path and r.status == 400], what="a 400")
        assert auto.callback is None
