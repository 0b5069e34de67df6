"""The right-click flow: a select menu of the server's styles (paged past Discord's 25 options, with "use my last
style" first), then a job queued exactly as /stylize queues one (`bot._submit.submit`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

__all__ = ["LAST", "PER_PAGE", "StylePicker", "picker_options"]

logger = logging.getLogger(__name__)

LAST = "last"
PER_PAGE = 22  # + "use my last style", "previous", "more" = Discord's 25 options at most
Chosen = Callable[[discord.Interaction[Any], str], Awaitable[None]]


def picker_options(names: tuple[str, ...], page: int, *, has_last: bool) -> list[discord.SelectOption]:
    """One page of the select: the member's last style (first page), the names, and paging entries."""
    options: list[discord.SelectOption] = []
    if has_last and page == 0:
        options.append(discord.SelectOption(label="Use my last style", value=LAST, emoji="🔁"))
    if page > 0:
        options.append(discord.SelectOption(label="← Previous styles", value=f"page:{page - 1}"))
    options += [discord.SelectOption(label=name, value=f"name:{name}") for name in names[page * PER_PAGE :][:PER_PAGE]]
    if len(names) > (page + 1) * PER_PAGE:
        options.append(discord.SelectOption(label="More styles →", value=f"page:{page + 1}"))
    return options


class StylePicker(discord.ui.View):
    """An ephemeral select for one member; a pick calls `chosen(interaction, value)` once."""

    def __init__(self, user_id: int, names: tuple[str, ...], *, has_last: bool, chosen: Chosen, page: int = 0) -> None:
        super().__init__(timeout=600)
        self.user_id = user_id
        self.names = names
        self.has_last = has_last
        self._chosen = chosen
        self.page = page
        self.done = False
        self.select: discord.ui.Select[StylePicker] = discord.ui.Select(
            placeholder="Pick a style", options=picker_options(names, page, has_last=has_last)
        )
        self.select.callback = self._pick  # type: ignore[method-assign]
        self.add_item(self.select)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.user_id

    async def _pick(self, interaction: discord.Interaction[Any]) -> None:
        value = self.select.values[0]
        if value.startswith("page:"):
            self.page = int(value.removeprefix("page:"))
            self.select.options = picker_options(self.names, self.page, has_last=self.has_last)
            await interaction.response.edit_message(view=self)
            return
        if self.done:
            await interaction.response.send_message("That picture is already queued.", ephemeral=True)
            return
        self.done = True
        self.stop()
        await self._chosen(interaction, value)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, item: Any) -> None:
        interaction.client.dispatch("component_error", interaction, error)
