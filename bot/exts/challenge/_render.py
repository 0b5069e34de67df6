"""What members see of a challenge: the announcement, entry posts with their Vote button, results, info."""

from __future__ import annotations

from datetime import datetime

import discord
from delivery.custom_ids import build, save_style_id
from jobqueue import (
    Challenge,
    ChallengePhase,
    ChallengeState,
    Entry,
    RankedEntry,
    phase_at,
)

from bot.exts.challenge._time import discord_time

__all__ = [
    "QUIET",
    "announcement_embed",
    "entry_content",
    "entry_view",
    "info_embed",
    "leaderboard_embed",
    "message_link",
    "only_users",
    "results_message",
    "save_view",
    "vote_button_id",
]

COLOUR = discord.Colour.from_rgb(0xE8, 0x7A, 0x3D)
MEDALS = ("🥇", "🥈", "🥉")
_PHASE_TEXT = {
    ChallengePhase.SUBMISSIONS: "open for entries and votes",
    ChallengePhase.VOTING: "submissions closed, voting open",
    ChallengePhase.CLOSING: "voting closed, results coming",
    ChallengePhase.ENDED: "ended",
    ChallengePhase.CANCELLED: "cancelled",
}


def vote_button_id(entry_id: int) -> str:
    return build("entry", entry_id, "vote")


def entry_view(entry_id: int, votes: int, *, locked: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    label = f"Vote · {votes}" if not locked else f"{votes} vote{'s' if votes != 1 else ''} · voting closed"
    view.add_item(
        discord.ui.Button(
            style=discord.ButtonStyle.primary if not locked else discord.ButtonStyle.secondary,
            label=label,
            emoji="⭐",
            custom_id=vote_button_id(entry_id),
            disabled=locked,
        )
    )
    return view


def save_view(challenge_id: int) -> discord.ui.View:
    """The "Save as style" button under the announcement and the results: organisers add the challenge's style to the
    server's library (the styles extension's persistent item answers it)."""
    view = discord.ui.View(timeout=None)
    custom_id = save_style_id("challenge", challenge_id)
    view.add_item(discord.ui.Button(label="Save as style", emoji="💾", custom_id=custom_id))
    return view


def _rules(challenge: Challenge) -> str:
    per_user = challenge.max_entries_per_user
    lines = [
        f"• Submit with `/challenge submit` until {discord_time(challenge.submissions_close_at)} "
        f"({discord_time(challenge.submissions_close_at, 'R')}).",
        f"• Up to {per_user} entr{'y' if per_user == 1 else 'ies'} per member"
        + (f", {challenge.max_entries} in total." if challenge.max_entries else "."),
        f"• Vote with the ⭐ button under each entry until {discord_time(challenge.voting_close_at)}; "
        "one vote per entry, not for your own.",
        "• Entries submitted before the deadline count even if they finish later. Ties go to the earlier entry.",
    ]
    return "\n".join(lines)


def announcement_embed(challenge: Challenge, *, image_name: str = "style.png") -> discord.Embed:
    embed = discord.Embed(title=f"🎨 {challenge.title}", description=challenge.description, colour=COLOUR)
    if challenge.is_open:
        embed.add_field(name="How it works", value=_rules(challenge), inline=False)
    else:
        outcome = "was cancelled" if challenge.state is ChallengeState.CANCELLED else "has ended: see the results below"
        embed.add_field(name="Status", value=f"This challenge {outcome}.", inline=False)
    embed.set_image(url=f"attachment://{image_name}")
    embed.set_footer(text=f"Challenge #{challenge.id} · the style to use is shown below")
    return embed


QUIET = discord.AllowedMentions.none()  # challenge text (title, description) is the organiser's: it never pings


def only_users(*user_ids: int) -> discord.AllowedMentions:
    """Ping exactly these members (an entry's author, the winners), whatever else the text mentions."""
    return discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(u) for u in user_ids])


def entry_content(entry: Entry) -> str:
    return f"Entry #{entry.id} by <@{entry.user_id}>"


def message_link(guild_id: int, channel_id: int, message_id: int | None) -> str | None:
    if message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _entry_line(challenge: Challenge, ranked: RankedEntry) -> str:
    e = ranked.entry
    prefix = MEDALS[ranked.rank - 1] if ranked.rank <= len(MEDALS) else f"{ranked.rank}."
    votes = f"{e.votes} vote{'s' if e.votes != 1 else ''}"
    link = message_link(challenge.guild_id, challenge.post_channel_id, e.message_id)
    where = f" · [entry #{e.id}]({link})" if link else f" · entry #{e.id}"
    return f"{prefix} <@{e.user_id}> · {votes}{where}"


def leaderboard_embed(challenge: Challenge, ranked: list[RankedEntry], *, limit: int = 10) -> discord.Embed:
    lines = [_entry_line(challenge, r) for r in ranked[:limit]] or ["No finished entries yet."]
    embed = discord.Embed(title=f"Leaderboard · {challenge.title}", description="\n".join(lines), colour=COLOUR)
    embed.set_footer(text=f"Challenge #{challenge.id} · ties go to the earlier entry")
    return embed


def results_message(challenge: Challenge, ranked: list[RankedEntry]) -> tuple[str, list[discord.Embed]]:
    """Text and embeds of the winners' announcement (the images are attached as winner-<rank>.png)."""
    top = ranked[:3]
    if not top:
        return f"🏁 **{challenge.title}** has ended. No entry was finished, so there are no winners this time.", []
    lines = [f"🏁 **{challenge.title}** has ended. Thank you all for taking part! The winners:"]
    lines += [_entry_line(challenge, r) for r in top]
    embeds = []
    for r in top:
        embed = discord.Embed(title=f"{MEDALS[r.rank - 1]} Entry #{r.entry.id}", colour=COLOUR)
        embed.description = f"by <@{r.entry.user_id}> · {r.entry.votes} vote{'s' if r.entry.votes != 1 else ''}"
        embed.set_image(url=f"attachment://winner-{r.rank}.png")
        embeds.append(embed)
    return "\n".join(lines), embeds


def info_embed(
    challenge: Challenge, entries: list[Entry], now: datetime, *, viewer_id: int, organiser: bool
) -> discord.Embed:
    phase = phase_at(challenge, now)
    embed = discord.Embed(title=f"{challenge.title} (challenge #{challenge.id})", colour=COLOUR)
    embed.description = challenge.description
    embed.add_field(name="Status", value=_PHASE_TEXT[phase], inline=True)
    embed.add_field(name="Entries", value=str(sum(1 for e in entries if e.active)), inline=True)
    embed.add_field(
        name="Deadlines",
        value=f"Submissions: {discord_time(challenge.submissions_close_at)}\n"
        f"Voting: {discord_time(challenge.voting_close_at)}",
        inline=False,
    )
    mine = [e for e in entries if e.user_id == viewer_id and e.active]
    if mine:
        embed.add_field(name="Your entries", value="\n".join(_state_line(e) for e in mine), inline=False)
    if organiser and entries:
        lines = [f"{_state_line(e)} · <@{e.user_id}>" for e in entries[:25]]
        embed.add_field(name="All entries (organisers only)", value="\n".join(lines)[:1024], inline=False)
    return embed


def _state_line(entry: Entry) -> str:
    job = f"job #{entry.job_id} {entry.job_state.value}" if entry.job_state else "being queued"
    status = "withdrawn" if not entry.active else job
    return f"#{entry.id}: {status} · {entry.votes} vote{'s' if entry.votes != 1 else ''}"
