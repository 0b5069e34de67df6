"""Member-facing text for every error a member can meet. The only place that words them.

`describe(exc)` returns the text, or `None` for an unexpected error (the handler then logs it and shows a generic
line with a reference). Internal errors' own messages (`str(exc)`) never reach Discord.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from jobqueue import (
    BlobNotFound,
    ChallengeAlreadyOpen,
    ChallengeClosed,
    ChallengeNotFound,
    DatabaseUnavailable,
    EntryLimitReached,
    EntryNotFound,
    InvalidTransition,
    JobNotFound,
    NotEntryOwner,
    QueueLimitExceeded,
    SelfVote,
    StyleLimitReached,
    StyleNameTaken,
    StyleNotFound,
)

from bot.errors import (
    AttachmentRejected,
    ButtonOutdated,
    ChannelNotUsable,
    CooldownActive,
    ImageTooLargeToDecode,
    InvalidOption,
    JobNotVisible,
    LimitAboveOperator,
    NoImageInMessage,
    NotAllowed,
    NothingToSave,
    NotJobOwner,
    PresetNotAllowed,
    SourceImagesGone,
    StyleNameRejected,
    StylesOff,
    UserBlocked,
)

__all__ = ["describe", "unexpected"]

_ACTIONS = {"cancel": "cancelled", "retry": "retried"}


def _attachment(exc: AttachmentRejected) -> str:
    reason = exc.reason.rstrip(".")
    return f"Your {exc.role} can't be used: {reason}. Nothing was queued."


def _cooldown(exc: CooldownActive) -> str:
    return f"You're going a bit fast. You can queue your next picture <t:{int(exc.retry_at.timestamp())}:R>."


def _limit(exc: QueueLimitExceeded) -> str:
    if exc.scope == "user":
        return (
            f"You already have {exc.current} pictures queued or running (the limit is {exc.limit}). "
            "Wait for one to finish, or cancel one (see /jobs)."
        )
    return f"This server already has {exc.current} pictures queued or running (the limit is {exc.limit}). Try later."


def _transition(exc: InvalidTransition) -> str:
    done = _ACTIONS.get(exc.action, exc.action)
    return f"Job #{exc.job_id} is {exc.state}, so it can't be {done}."


_DERIVED = {"reroll": "re-roll", "stronger": "make stronger", "weaker": "make weaker"}


def _not_job_owner(exc: NotJobOwner) -> str:
    if exc.elsewhere:
        return f"Job #{exc.job_id} was made in another server; its buttons work only there, for the member who asked."
    return f"Only the member who asked for job #{exc.job_id} can {_DERIVED.get(exc.action, exc.action)} it."


def _above_operator(exc: LimitAboveOperator) -> str:
    bound, word = ("at least", "shorter") if exc.at_least else ("at most", "higher")
    return (
        f"The {exc.option} option can be {bound} {exc.cap:g} here: the bot's operator set that limit, and a server"
        f" can only make it stricter, not {word}. Nothing was changed."
    )


def _channel(exc: ChannelNotUsable) -> str:
    needs = " and ".join(name.replace("_", " ").title() for name in exc.missing)
    if exc.bot:
        return f"The bot can't post in <#{exc.channel_id}>: it needs {needs} there. Allow it, or pick another channel."
    return (
        f"You can't post in <#{exc.channel_id}> yourself (you need {needs} there), so the bot won't post there for you."
    )


_CLOSED = {
    "vote": "Voting on this challenge is closed.",
    "submit an entry": "Submissions to this challenge are closed.",
    "withdraw": "This entry can't be withdrawn any more.",
    "extend": "This challenge can no longer be extended: its voting has closed.",
    "end": "This challenge has already ended.",
    "cancel": "This challenge has already ended.",
}


def _closed(exc: ChallengeClosed) -> str:
    if exc.action == "vote for this entry":
        if exc.phase == "withdrawn":
            return "This entry was withdrawn by its author, so it can't get votes."
        return "This entry isn't finished yet; you can vote once it's posted."
    return _CLOSED.get(exc.action, "This challenge is closed for that.")


def _entry_limit(exc: EntryLimitReached) -> str:
    if exc.scope == "user":
        plural = "entry" if exc.limit == 1 else "entries"
        return f"You already have {exc.limit} {plural} in this challenge (the limit). Withdraw one to submit another."
    return f"This challenge already has its maximum of {exc.limit} entries."


_CHALLENGE_TEXT: list[tuple[type[BaseException], Callable[[Any], str]]] = [
    (ChallengeNotFound, lambda e: "There is no open challenge in this channel. Run this in the challenge's channel."),
    (ChallengeAlreadyOpen, lambda e: "That channel already has an open challenge; end or cancel it first."),
    (ChallengeClosed, _closed),
    (EntryLimitReached, _entry_limit),
    (EntryNotFound, lambda e: "You have no such entry in this challenge (see /challenge info)."),
    (NotEntryOwner, lambda e: "Only the entry's author can do that."),
    (SelfVote, lambda e: "You can't vote for your own entry, but thanks for the enthusiasm!"),
    (InvalidOption, lambda e: f"The {e.option} option can't be used: {e.reason.rstrip('.')}."),
    (ChannelNotUsable, _channel),
]


def _style_missing(exc: StyleNotFound) -> str:
    if not exc.name:
        return "This server has no styles to pick from yet; an organiser can add some with /style add."
    if exc.name == "your last style":
        return "You have no recent style here to reuse; pick one from the list instead."
    return f"There is no style called {_plain(exc.name)} here. Start typing to pick one, or see /style list."


def _plain(text: str) -> str:
    """A name a member typed, safe inside our text: no markdown, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text[:40]))


def _nothing_to_save(exc: NothingToSave) -> str:
    if exc.why == NothingToSave.BUILTIN:
        return f"The style of {exc.source} is the built-in {exc.builtin}: every server has it already (/style list)."
    if exc.why == NothingToSave.NONE:
        return f"{exc.source.capitalize()} has no style picture to save."
    if exc.why == NothingToSave.ENTRY:
        return f"{exc.source.capitalize()} is a challenge entry: save its style from the challenge's announcement."
    return (
        f"The style picture of {exc.source} is no longer stored (deleted with /forget, or expired), so it can't be "
        "saved. Nothing was added."
    )


_STYLE_TEXT: list[tuple[type[BaseException], Callable[[Any], str]]] = [
    (StyleNotFound, _style_missing),
    (StyleNameTaken, lambda e: f"This server already has a style called {_plain(e.name)}; pick another name."),
    (
        StyleLimitReached,
        lambda e: f"This server's library is full ({e.limit} styles); remove one with /style remove first.",
    ),
    (StyleNameRejected, lambda e: f"That style name can't be used: {e.reason.rstrip('.')}."),
    (
        NoImageInMessage,
        lambda e: "That message has no picture to stylize: it needs an image attachment or an image link preview.",
    ),
    (StylesOff, lambda e: "The style library is off on this bot; attach a style picture to /stylize instead."),
    (NothingToSave, _nothing_to_save),
]

_DATABASE_BUSY = "The queue's database is busy right now, so nothing was queued or changed; try again shortly."

_TEXT: list[tuple[type[BaseException], Callable[[Any], str]]] = [
    *_CHALLENGE_TEXT,
    *_STYLE_TEXT,
    (AttachmentRejected, _attachment),
    (CooldownActive, _cooldown),
    (
        ImageTooLargeToDecode,
        lambda e: (
            f"That image is {e.pixels / 1e6:.1f} MP, more than this bot can decode ({e.capacity / 1e6:g} MP at"
            " most). Resize it and upload it again. Nothing was queued."
        ),
    ),
    (QueueLimitExceeded, _limit),
    (UserBlocked, lambda e: "A moderator of this server has blocked you from using the bot here."),
    (NotAllowed, lambda e: f"You can't {e.action}: that needs {e.needs}."),
    (NotJobOwner, _not_job_owner),
    (LimitAboveOperator, _above_operator),
    (PresetNotAllowed, lambda e: f"The {e.preset} preset is off on this server; use {' or '.join(e.allowed)}."),
    (JobNotVisible, lambda e: f"There is no job #{e.job_id} that you can manage here."),
    (JobNotFound, lambda e: f"There is no job #{e.job_id}."),
    (SourceImagesGone, lambda e: f"The images of job #{e.job_id} are no longer stored; run /stylize again."),
    (BlobNotFound, lambda e: "Those images are no longer stored; run /stylize again."),
    (ButtonOutdated, lambda e: "This button is from an older version of the bot and no longer works; use /stylize."),
    (InvalidTransition, _transition),
    (DatabaseUnavailable, lambda e: _DATABASE_BUSY),
    (app_commands.NoPrivateMessage, lambda e: "This command only works in a server."),
    (app_commands.MissingPermissions, lambda e: "You don't have the permissions this command needs."),
    (app_commands.BotMissingPermissions, lambda e: "The bot lacks a permission it needs in this channel."),
    (app_commands.CheckFailure, lambda e: "You can't use this command here."),
    (app_commands.TransformerError, lambda e: "One of the options has a value the bot doesn't understand."),
]


def describe(exc: BaseException) -> str | None:
    """The member-facing text for `exc` (unwrapping CommandInvokeError), or None when it is unexpected."""
    if isinstance(exc, app_commands.CommandInvokeError):
        exc = exc.original
    for kind, text in _TEXT:
        if isinstance(exc, kind):
            return text(exc)
    return None


def unexpected(reference: str) -> str:
    return f"Something went wrong on the bot's side, sorry. (Reference for the admins: {reference})"
