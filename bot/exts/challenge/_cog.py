"""/challenge: organisers start, end, cancel and extend challenges; members submit, withdraw, vote and follow along.

Organiser commands are checked when invoked (Manage Server, the server's organiser role, or the bot's owner) and a
refusal is ephemeral. Every reply to the caller is ephemeral; what everyone sees (announcement, entries, results)
is posted in the channel and its gallery thread.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands
from jobqueue import (
    Challenge,
    ChallengeNotFound,
    ChallengeStore,
    Entry,
    EntryNotFound,
    NewChallenge,
    StyleNotFound,
    phase_at,
)
from jobqueue.challenges.rules import check_submission, compute_deadlines

from bot._bot import Stylebot
from bot._params import MAX_STRENGTH, MIN_STRENGTH, Options, build_params
from bot._policy import check_cooldown, load_policy
from bot.checks import is_bot_owner, is_guild_admin, is_organiser, require_can_post
from bot.errors import ChannelNotUsable, InvalidOption, NotAllowed
from bot.exts.challenge._render import QUIET, announcement_embed, info_embed, leaderboard_embed, save_view
from bot.exts.challenge._runner import ChallengeRunner
from bot.exts.challenge._time import discord_time, parse_duration
from bot.exts.challenge._votes import VoteButton
from bot.exts.stylize._attachments import check_metadata, download, normalise

__all__ = ["Challenges"]

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[Stylebot]
_ORGANISER = "Manage Server or this server's challenge organiser role"
_BOT_NEEDS = ("view_channel", "send_messages", "embed_links", "attach_files")  # the announcement has both


def _duration(option: str, text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InvalidOption(option, str(exc)) from exc


class Challenges(commands.Cog):
    """Community style challenges (one open challenge per channel, several per server)."""

    challenge = app_commands.Group(name="challenge", description="Community style challenges", guild_only=True)

    def __init__(self, bot: Stylebot, store: ChallengeStore | None, *, voting_period: timedelta, tick: float) -> None:
        self.bot = bot
        self._store = store
        self.voting_period = voting_period
        self._runner = ChallengeRunner(bot, store, bot.store, tick=tick) if store is not None else None

    @property
    def store(self) -> ChallengeStore:
        if self._store is None:
            raise RuntimeError("challenges are off: this bot was given no challenge store")
        return self._store

    @property
    def runner(self) -> ChallengeRunner:
        if self._runner is None:
            raise RuntimeError("challenges are off: this bot was given no challenge store")
        return self._runner

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)
        if self._runner is not None:
            self._runner.start()

    async def cog_unload(self) -> None:
        if self._runner is not None:
            await self._runner.stop()
        self.bot.remove_dynamic_items(VoteButton)

    async def is_organiser(self, interaction: Interaction) -> bool:
        return await is_organiser(interaction, self.bot.store)

    async def _require_organiser(self, interaction: Interaction, action: str) -> None:
        if not await self.is_organiser(interaction):
            raise NotAllowed(action, _ORGANISER)

    async def _current(self, interaction: Interaction, *, open_only: bool = True) -> Challenge:
        challenge = await self.store.find(interaction.channel_id or 0, open_only=open_only)
        if challenge is None:
            raise ChallengeNotFound(channel_id=interaction.channel_id)
        return challenge

    async def _image(self, interaction: Interaction, role: str, attachment: discord.Attachment) -> str:
        """Validate like /stylize (metadata before acknowledging is done by the caller), store, return its sha."""
        config = self.bot.config
        max_bytes = min(interaction.filesize_limit, config.image_limits.max_bytes)
        data = await download(
            self.bot.http_session, role, attachment, max_bytes=max_bytes, time_limit=config.download_timeout
        )
        limits, budget = config.image_limits, self.bot.decode_budget
        # challenge entries are shown as still images: an animated entry is refused with the reason
        still_only = role == "content image"
        png = await normalise(
            role, data, limits=limits, working_side=limits.working_side, budget=budget, still_only=still_only
        )
        return await self.bot.store.put_blob(png, "image/png")

    def _check_metadata(self, interaction: Interaction, role: str, attachment: discord.Attachment) -> None:
        config = self.bot.config
        max_bytes = min(interaction.filesize_limit, config.image_limits.max_bytes)
        check_metadata(role, attachment, hosts=config.attachment_hosts, limits=config.image_limits, max_bytes=max_bytes)

    # organisers ------------------------------------------------------------------------------------------------------
    @challenge.command(name="start", description="Open a style challenge in a channel (organisers)")
    @app_commands.describe(
        style="The style picture every entry is painted with (or pick style_name)",
        style_name="One of this server's styles (see /style list)",
        title="A short name for the challenge",
        description="What members should submit",
        duration="How long submissions stay open, e.g. 3d, 36h, 1h30m",
        max_entries_per_user="Entries each member may submit (default 1)",
        channel="Where to announce it (default: this channel); entries go to a thread under the announcement",
        voting="How long voting stays open after submissions close (default from the bot's settings)",
        max_entries="Cap on entries in total (default: none)",
        preset="How entries are painted (default: the bot's default preset)",
    )
    async def start(
        self,
        interaction: Interaction,
        title: app_commands.Range[str, 1, 100],
        description: app_commands.Range[str, 1, 1000],
        duration: str,
        style: discord.Attachment | None = None,
        style_name: str | None = None,
        max_entries_per_user: app_commands.Range[int, 1, 20] = 1,
        channel: discord.TextChannel | None = None,
        voting: str | None = None,
        max_entries: app_commands.Range[int, 1, 1000] | None = None,
        preset: Literal["fast", "seed", "instant"] | None = None,
    ) -> None:
        await self._require_organiser(interaction, "start a challenge")
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            raise InvalidOption("channel", "pick a text channel (not a thread or a voice channel)")
        require_can_post(interaction, target, option="channel", bot_needs=_BOT_NEEDS)
        voting_period = _duration("voting", voting) if voting else self.voting_period
        try:
            close, vote_close = compute_deadlines(self.store.now(), _duration("duration", duration), voting_period)
        except ValueError as exc:
            raise InvalidOption("duration", str(exc)) from exc
        if style is not None:
            self._check_metadata(interaction, "style image", style)
        elif style_name is None:
            raise InvalidOption("style", "attach a style picture, or pick one of this server's styles in style_name")
        policy = await load_policy(self.bot.store, self.bot.config, interaction.guild_id)
        config = self.bot.config
        options = Options(preset=preset)
        params, _ = build_params(
            options, default_size=config.default_size, policy=policy, default_preset=config.default_preset
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        if style is not None:
            sha = await self._image(interaction, "style image", style)
        else:
            sha = await self._library_style(target.guild.id, style_name or "")
        new = NewChallenge(
            guild_id=target.guild.id,
            channel_id=target.id,
            organiser_id=interaction.user.id,
            title=title,
            description=description,
            style_sha=sha,
            params=params,
            submissions_close_at=close,
            voting_close_at=vote_close,
            max_entries_per_user=max_entries_per_user,
            max_entries=max_entries,
        )
        challenge = await self.store.create(new)
        gallery = await self._announce(challenge, target, await self.bot.store.get_blob(sha))
        self.runner.wake()
        await interaction.edit_original_response(
            content=f"Challenge #{challenge.id} **{title}** is open in {target.mention}; entries are posted in "
            f"<#{gallery}>. Submissions close {discord_time(close, 'R')}.",
            allowed_mentions=QUIET,
        )

    async def _library_style(self, guild_id: int, name: str) -> str:
        library = self.bot.style_library
        if library is None:
            raise StyleNotFound(guild_id, name)
        return await library.resolve(guild_id, name)

    @start.autocomplete("style_name")
    async def _style_names(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        library = self.bot.style_library
        return await library.choices(interaction.guild_id, current) if library is not None else []

    async def _announce(self, challenge: Challenge, channel: discord.TextChannel, style_png: bytes) -> int:
        """Post the announcement and open its gallery thread (the channel itself if threads are not allowed)."""
        try:
            message = await channel.send(
                embed=announcement_embed(challenge),
                file=discord.File(io.BytesIO(style_png), "style.png"),
                view=save_view(challenge.id),
                allowed_mentions=QUIET,
            )
        except discord.HTTPException as exc:
            await self.store.discard(challenge.id)
            if isinstance(exc, discord.Forbidden):  # permissions changed after the check, or overwrites we missed
                raise ChannelNotUsable(channel.id, _BOT_NEEDS, bot=True) from exc
            raise
        gallery = channel.id
        try:
            thread = await message.create_thread(name=f"{challenge.title} · entries"[:100], auto_archive_duration=10080)
            gallery = thread.id
        except discord.HTTPException as exc:
            logger.warning(
                "challenge %s: no gallery thread (HTTP %s); entries go to the channel", challenge.id, exc.status
            )
        await self.store.set_gallery(challenge.id, gallery_channel_id=gallery, announcement_message_id=message.id)
        return gallery

    @challenge.command(name="end", description="Close this channel's challenge now and announce the winners")
    async def end(self, interaction: Interaction) -> None:
        await self._require_organiser(interaction, "end a challenge")
        challenge = await self._current(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        challenge = await self.store.end(challenge.id, by=interaction.user.id)
        await self.runner.announce(challenge)
        await interaction.edit_original_response(
            content=f"**{challenge.title}** has ended; the results are posted.", allowed_mentions=QUIET
        )

    @challenge.command(name="cancel", description="Close this channel's challenge without winners")
    async def cancel(self, interaction: Interaction) -> None:
        await self._require_organiser(interaction, "cancel a challenge")
        challenge = await self._current(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        challenge = await self.store.cancel(challenge.id, by=interaction.user.id)
        await self.runner.announce(challenge)
        await interaction.edit_original_response(
            content=f"**{challenge.title}** was cancelled.", allowed_mentions=QUIET
        )

    @challenge.command(name="extend", description="Give this channel's challenge more time")
    @app_commands.describe(by="How much longer, e.g. 1d or 12h (moves submissions, or only voting once closed)")
    async def extend(self, interaction: Interaction, by: str) -> None:
        await self._require_organiser(interaction, "extend a challenge")
        challenge = await self._current(interaction)
        try:
            challenge = await self.store.extend(challenge.id, _duration("by", by))
        except ValueError as exc:
            raise InvalidOption("by", str(exc)) from exc
        self.runner.wake()
        text = (
            f"⏳ **{challenge.title}** was extended: submissions until {discord_time(challenge.submissions_close_at)}, "
            f"voting until {discord_time(challenge.voting_close_at)}."
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=QUIET)
        await self.runner.refresh_announcement(challenge)
        await self.runner.channel(challenge).send(text, allowed_mentions=QUIET)

    @challenge.command(name="organisers", description="Let a role organise challenges here (Manage Server)")
    @app_commands.describe(role="The organiser role; leave empty to allow only Manage Server")
    async def organisers(self, interaction: Interaction, role: discord.Role | None = None) -> None:
        if not (is_guild_admin(interaction) or await is_bot_owner(interaction)):
            raise NotAllowed("choose the challenge organiser role", "the Manage Server permission")
        assert interaction.guild_id is not None
        await self.bot.store.update_guild_settings(interaction.guild_id, organiser_role_id=role.id if role else None)
        who = f"members with {role.mention}" if role else "members with Manage Server only"
        await interaction.response.send_message(f"Challenges can now be organised by {who}.", ephemeral=True)

    # members ---------------------------------------------------------------------------------------------------------
    @challenge.command(name="submit", description="Enter this channel's challenge with your picture")
    @app_commands.describe(content="Your picture; it is painted in the challenge's style", strength="Style strength")
    async def submit(
        self,
        interaction: Interaction,
        content: discord.Attachment,
        strength: app_commands.Range[float, MIN_STRENGTH, MAX_STRENGTH] | None = None,
    ) -> None:
        challenge = await self._current(interaction)
        check_submission(challenge, self.store.now())  # cheap early refusal; the store checks again atomically
        self._check_metadata(interaction, "content image", content)
        policy = await load_policy(self.bot.store, self.bot.config, interaction.guild_id)
        policy.check_not_blocked(interaction.user.id)
        await check_cooldown(self.bot.store, policy, interaction.user.id, now=self.store.now())  # as /stylize does
        await interaction.response.defer(ephemeral=True, thinking=True)
        sha = await self._image(interaction, "content image", content)
        entry, job = await self.store.submit_entry(
            challenge.id,
            user_id=interaction.user.id,
            content_sha=sha,
            strength=strength,
            idempotency_key=f"discord:{interaction.id}",
            limits=policy.limits(),
        )
        position = await self.bot.store.position(job.id)
        where = f" (position {position.position} in the queue)" if position else ""
        await interaction.edit_original_response(
            content=f"Your entry #{entry.id} to **{challenge.title}** is being painted{where}. It will be posted in "
            f"<#{challenge.post_channel_id}> when it is ready, and voting on it starts then.",
            allowed_mentions=QUIET,
        )

    @challenge.command(name="withdraw", description="Take back your entry in this channel's challenge")
    @app_commands.describe(entry="The entry number (needed only if you submitted several)")
    async def withdraw(self, interaction: Interaction, entry: int | None = None) -> None:
        challenge = await self._current(interaction)
        mine = await self.store.list_entries(challenge.id, user_id=interaction.user.id)
        chosen = _pick_entry(mine, entry)
        withdrawn = await self.store.withdraw_entry(chosen.id, user_id=interaction.user.id)
        if withdrawn.message_id is not None:
            message = self.runner.channel(challenge).get_partial_message(withdrawn.message_id)
            try:
                await message.edit(
                    content=f"Entry #{chosen.id} was withdrawn by its author.",
                    embed=None,
                    view=None,
                    allowed_mentions=QUIET,
                )
            except discord.HTTPException as exc:
                logger.info("entry %s: could not mark the post withdrawn (HTTP %s)", chosen.id, exc.status)
        await interaction.response.send_message(f"Your entry #{chosen.id} was withdrawn.", ephemeral=True)

    @challenge.command(name="info", description="This channel's challenge: rules, deadlines and entries")
    async def info(self, interaction: Interaction) -> None:
        challenge = await self._current(interaction, open_only=False)
        organiser = await self.is_organiser(interaction)
        entries = await self.store.list_entries(challenge.id, include_withdrawn=organiser)
        embed = info_embed(challenge, entries, self.store.now(), viewer_id=interaction.user.id, organiser=organiser)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @challenge.command(name="leaderboard", description="Top entries of this channel's challenge with their votes")
    async def leaderboard(self, interaction: Interaction) -> None:
        challenge = await self._current(interaction, open_only=False)
        ranked = await self.store.leaderboard(challenge.id)
        phase = phase_at(challenge, self.store.now())
        embed = leaderboard_embed(challenge, ranked)
        await interaction.response.send_message(f"Status: {phase.value}", embed=embed, ephemeral=True)


def _pick_entry(mine: list[Entry], number: int | None) -> Entry:
    if number is not None:
        for e in mine:
            if e.id == number:
                return e
        raise EntryNotFound(number)
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise EntryNotFound(None)
    raise InvalidOption("entry", f"you have {len(mine)} entries; name one of {', '.join(f'#{e.id}' for e in mine)}")
