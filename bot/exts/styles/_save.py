""" "Save as style": organisers add the style picture of a finished result, or of a challenge, to the server's library.

The button (`sb1:job:<id>:save` on a result, `sb1:challenge:<id>:save` on a challenge's announcement and results)
opens a modal asking for the name and an optional description; the submit adds the picture with the same rules as
/style add (`StyleLibrary.add`: name rules, built-in names reserved, unique here, the per-server cap).

Which picture: the style picture the result was painted with (the job's first style when it has several: the first
is the one the member named first, and the modal says so), never the result itself; for a challenge, its style.
The picture is already stored, so nothing is downloaded. It stays its uploader's: the new style's owner is the
picture's recorded owner (a library style's), else the member who uploaded it (the job's member, the challenge's
organiser), so that member's /forget deletes the saved style too. A built-in painting is refused (every server has
it, and it is nobody's to forget).

Both the press and the submit check everything again, since either may be forged or late: pressed in a server, by an
organiser of that server, the job or challenge made in that same server, it and its picture still stored, the
library not full. The button is a `DynamicItem` and the modal's submit is handled by its custom id (the modal is never
kept in discord.py's store), so both keep working after a restart. Every answer is private.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import discord
from delivery.custom_ids import SAVE_KINDS, SAVE_STYLE, SAVE_STYLE_TEMPLATE, parse, save_style_id
from jobqueue import BlobNotFound, ChallengeNotFound, JobNotFound, StyleLimitReached

from bot._bot import Stylebot
from bot.checks import is_organiser
from bot.errors import NotAllowed, NothingToSave
from bot.exts.styles._library import StyleLibrary
from bot.exts.styles._names import MAX_NAME
from bot.exts.styles._render import QUIET

__all__ = ["MAX_DESCRIPTION", "SaveStyleButton", "Source", "StyleSaver", "modal_values"]

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[Stylebot]
ORGANISER = "Manage Server or this server's challenge organiser role"
MAX_DESCRIPTION = 200  # as /style add's description option


@dataclass(frozen=True)
class Source:
    """The picture a "Save as style" button points at, and whose it is."""

    label: str  # "job #42", "challenge #3"
    guild_id: int | None
    sha: str
    owner_id: int  # who uploaded it, when no owner is recorded for the picture
    of_many: int = 1  # the job's number of styles (the first is saved)


class SaveStyleButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=re.compile(SAVE_STYLE_TEMPLATE)):
    """Any `sb1:job|challenge:<id>:save` button, posted before or after a restart."""

    def __init__(self, kind: str, source_id: int) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(custom_id=save_style_id(kind, source_id), label="Save")
        super().__init__(button)
        self.kind = kind
        self.source_id = source_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SaveStyleButton:
        return cls(match["kind"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            saver = getattr(interaction.client.get_cog("Styles"), "saver", None)
            if not isinstance(saver, StyleSaver):
                raise RuntimeError("the styles extension is not loaded")
            await saver.press(interaction, self.kind, self.source_id)
        except Exception as exc:  # handed to the error-handler extension, which answers the member
            interaction.client.dispatch("component_error", interaction, exc)


def modal_values(data: Any) -> dict[str, str]:
    """The text inputs of a modal submit's `components` by custom id (rows of type 1, labels of type 18)."""
    found: dict[str, str] = {}
    stack = list(data.get("components") or []) if isinstance(data, dict) else []
    while stack:
        comp = stack.pop()
        if not isinstance(comp, dict):
            continue
        if isinstance(comp.get("custom_id"), str) and isinstance(comp.get("value"), str):
            found[comp["custom_id"]] = comp["value"]
        stack.extend(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):
            stack.append(comp["component"])
    return found


def _modal(custom_id: str, source: Source) -> discord.ui.Modal:
    which = f"the first of its {source.of_many} styles" if source.of_many > 1 else "its style picture"
    modal = discord.ui.Modal(title=f"Save the style of {source.label}"[:45], custom_id=custom_id)
    name: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Style name", custom_id="name", min_length=1, max_length=MAX_NAME, placeholder=f"Saves {which}"
    )
    description: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Description (optional)",
        custom_id="description",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=MAX_DESCRIPTION,
    )
    modal.add_item(name)
    modal.add_item(description)
    modal.stop()  # never kept by discord.py: the submit is handled by its custom id (`StyleSaver.submitted`)
    return modal


class StyleSaver:
    """The checks and the two steps of "Save as style"."""

    def __init__(self, bot: Stylebot, library: StyleLibrary) -> None:
        self.bot = bot
        self.library = library

    async def press(self, interaction: Interaction, kind: str, source_id: int) -> None:
        """The button: check, then ask for the name (a modal must be the first answer, so nothing is deferred)."""
        source = await self.check(interaction, kind, source_id)
        await interaction.response.send_modal(_modal(save_style_id(kind, source_id), source))

    async def submitted(self, interaction: Interaction) -> bool:
        """A modal submit: ours (True) when its custom id is a "save" id; then check again and add the style."""
        parsed = parse((interaction.data or {}).get("custom_id"))
        if parsed is None or parsed.action != SAVE_STYLE or parsed.kind not in SAVE_KINDS:
            return False
        await interaction.response.defer(ephemeral=True, thinking=True)
        source = await self.check(interaction, parsed.kind, parsed.id)
        values = modal_values(interaction.data)
        description = " ".join(values.get("description", "").split())[:MAX_DESCRIPTION]
        assert source.guild_id is not None  # check: the interaction's own server
        style = await self.library.add(
            source.guild_id,
            values.get("name", ""),
            source.sha,
            added_by=interaction.user.id,
            owner_id=await self._owner(source),
            description=description,
        )
        logger.info("guild %s: style %s saved from %s", style.guild_id, style.id, source.label)
        await interaction.edit_original_response(
            content=f"Saved **{style.name}** to this server's styles from {source.label}. "
            f"Use it with /stylize style_name:{style.name}.",
            allowed_mentions=QUIET,
        )
        return True

    async def check(self, interaction: Interaction, kind: str, source_id: int) -> Source:
        """Everything that must hold on the press and again on the submit; raises what the member is told."""
        if interaction.guild_id is None or not await is_organiser(interaction, self.bot.store):
            raise NotAllowed("add styles to this server's library", ORGANISER)
        store = self.library.store
        source = await self._source(kind, source_id)
        if source.guild_id != interaction.guild_id:
            raise NotAllowed("save a picture from another server", "an organiser of its own server, pressing it there")
        try:
            await self.bot.store.get_blob(source.sha)
        except BlobNotFound as exc:
            raise NothingToSave(source.label, NothingToSave.GONE) from exc
        builtin = await self.library.builtin_with_sha(source.sha)
        if builtin is not None:
            raise NothingToSave(source.label, NothingToSave.BUILTIN, builtin=builtin.name)
        cap = self.bot.config.max_styles_per_guild
        if len(await store.list_styles(interaction.guild_id)) >= cap:  # early; `add` counts again, atomically
            raise StyleLimitReached(interaction.guild_id, cap)
        return source

    async def _source(self, kind: str, source_id: int) -> Source:
        label = f"{kind} #{source_id}"
        try:
            if kind == "job":
                job = await self.bot.store.get(source_id)
                if job.kind == "challenge":  # the picture is the organiser's, not the entrant's (a forged id)
                    raise NothingToSave(label, NothingToSave.ENTRY)
                if not job.style_shas:
                    raise NothingToSave(label, NothingToSave.NONE)
                return Source(label, job.guild_id, job.style_shas[0], job.user_id, of_many=len(job.style_shas))
            challenges = self.bot.challenge_store
            if challenges is None:
                raise ChallengeNotFound(source_id)
            challenge = await challenges.get(source_id)
            return Source(label, challenge.guild_id, challenge.style_sha, challenge.organiser_id)
        except (JobNotFound, ChallengeNotFound) as exc:
            raise NothingToSave(label, NothingToSave.GONE) from exc

    async def _owner(self, source: Source) -> int:
        """The picture's recorded owner (a library style's uploader), else who uploaded it with the job/challenge."""
        owners = await self.library.store.owners_of(source.sha)
        return source.owner_id if source.owner_id in owners or not owners else owners[0]
