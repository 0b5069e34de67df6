"""Domain errors of the bot. Each carries the fields the error-handler extension needs to explain it to a member.

    foundation.StylebotError
    └── BotError
        ├── AttachmentRejected(role, reason)   an uploaded image cannot be used (nothing was queued)
        ├── ImageTooLargeToDecode(pixels, ...) an image needs more than the bot's whole decode budget
        ├── CooldownActive(retry_at)           the member asked again too soon
        ├── UserBlocked(guild_id)              a server admin blocked this member
        ├── NotAllowed(action)                 the member lacks the right (also an app-commands CheckFailure)
        ├── JobNotVisible(job_id)              no such job in the caller's reach
        ├── NotJobOwner(job_id, action)        a result's buttons act only for its owner, in its own server
        ├── ChannelNotUsable(channel_id, ...)  the organiser or the bot may not post in the chosen channel
        ├── LimitAboveOperator(option, ...)    a server's limit may only be stricter than the operator's
        ├── PresetNotAllowed(preset, allowed)  this server allows only some presets
        ├── SourceImagesGone(job_id)           a re-roll's parent images were deleted (/forget, retention)
        └── ButtonOutdated(custom_id)          a button from an older custom-id scheme
        └── InvalidOption(option, reason)      a typed option value cannot be used (e.g. a duration)
        ├── StyleNameRejected(reason)          a style name is empty, too long, or has mentions or markdown
        ├── NoImageInMessage(message_id)       a right-clicked message has no image to stylize
        ├── StylesOff()                        this bot was started without a style library store
        └── NothingToSave(source, why)         "Save as style": the picture is gone, missing or a built-in

Only `bot/exts/errors/` turns these (and any other exception) into text a member reads.
"""

from __future__ import annotations

from datetime import datetime

from discord import app_commands
from foundation import StylebotError

__all__ = [
    "AttachmentRejected",
    "BotError",
    "ButtonOutdated",
    "ChannelNotUsable",
    "CooldownActive",
    "ImageTooLargeToDecode",
    "InvalidOption",
    "JobNotVisible",
    "LimitAboveOperator",
    "NoImageInMessage",
    "NotAllowed",
    "NotJobOwner",
    "NothingToSave",
    "PresetNotAllowed",
    "SourceImagesGone",
    "StyleNameRejected",
    "StylesOff",
    "UserBlocked",
]


class BotError(StylebotError):
    """The bot could not do that."""


class AttachmentRejected(BotError):
    """An uploaded image cannot be used."""

    def __init__(self, role: str, reason: str) -> None:
        self.role = role  # "content image", "style image", ...
        self.reason = reason  # one line that says what to fix (from engine.images or the bot's own checks)
        super().__init__(f"{role}: {reason}")


class ImageTooLargeToDecode(BotError):
    """An image has more pixels than the bot may decode at once (its whole decode budget)."""

    def __init__(self, pixels: int, capacity: int) -> None:
        self.pixels = pixels
        self.capacity = capacity
        super().__init__(f"image of {pixels} pixels exceeds the decode budget of {capacity}")


class CooldownActive(BotError):
    """Asked again too soon."""

    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(f"cooldown active until {retry_at.isoformat()}")


class UserBlocked(BotError):
    """A server admin blocked this member from using the bot."""

    def __init__(self, guild_id: int | None) -> None:
        self.guild_id = guild_id
        super().__init__(f"user blocked in guild {guild_id}")


class NotAllowed(BotError, app_commands.CheckFailure):
    """The member is not allowed to do that."""

    def __init__(self, action: str, needs: str) -> None:
        self.action = action  # e.g. "pause the whole queue"
        self.needs = needs  # e.g. "the bot's owner", "Manage Server"
        super().__init__(f"not allowed to {action}: needs {needs}")


class JobNotVisible(BotError):
    """No such job within the caller's reach."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} not found in this server")


class NotJobOwner(BotError):
    """Only the member who asked for a picture may re-roll it or change its strength, and only in its server."""

    def __init__(self, job_id: int, action: str, *, elsewhere: bool) -> None:
        self.job_id = job_id
        self.action = action  # "reroll", "stronger", "weaker"
        self.elsewhere = elsewhere  # pressed outside the job's own server (another server or a DM)
        super().__init__(f"job {job_id}: {action} refused ({'other server' if elsewhere else 'not the owner'})")


class ChannelNotUsable(BotError):
    """The member who asked, or the bot itself, lacks the permissions to post in that channel."""

    def __init__(self, channel_id: int, missing: tuple[str, ...], *, bot: bool) -> None:
        self.channel_id = channel_id
        self.missing = missing  # `discord.Permissions` attribute names, e.g. ("send_messages",)
        self.bot = bot  # True: the bot lacks them; False: the member who ran the command does
        super().__init__(f"channel {channel_id}: {'bot' if bot else 'member'} lacks {', '.join(missing)}")


class LimitAboveOperator(BotError):
    """A server's admins may make the bot's limits stricter, never looser than its operator set them."""

    def __init__(self, option: str, value: float, cap: float, *, at_least: bool) -> None:
        self.option = option  # the /queue limits option, e.g. "per_member"
        self.value = value
        self.cap = cap  # the operator's value
        self.at_least = at_least  # True where stricter means larger (the cooldown)
        super().__init__(f"{option}={value} is looser than the operator's {cap}")


class SourceImagesGone(BotError):
    """The images of the job to re-run are no longer stored."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id}: its images are no longer stored")


class PresetNotAllowed(BotError):
    """This server's admins allow only some presets."""

    def __init__(self, preset: str, allowed: tuple[str, ...]) -> None:
        self.preset = preset
        self.allowed = allowed
        super().__init__(f"preset {preset} not allowed here (allowed: {', '.join(allowed)})")


class InvalidOption(BotError):
    """A command option has a value the bot cannot use."""

    def __init__(self, option: str, reason: str) -> None:
        self.option = option
        self.reason = reason  # one line that says what to write instead
        super().__init__(f"option {option}: {reason}")


class ButtonOutdated(BotError):
    """A button made by an older version of the bot, whose custom id no longer parses."""

    def __init__(self, custom_id: str) -> None:
        self.custom_id = custom_id
        super().__init__(f"outdated button {custom_id[:40]!r}")


class StyleNameRejected(BotError):
    """A style name that cannot be used."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # one line that says what to write instead
        super().__init__(f"style name rejected: {reason}")


class NoImageInMessage(BotError):
    """The message has no image attachment and no image embed."""

    def __init__(self, message_id: int) -> None:
        self.message_id = message_id
        super().__init__(f"message {message_id} has no image")


class StylesOff(BotError):
    """The style library is off: this bot was started without its store."""


class NothingToSave(BotError):
    """There is no picture to save as a style from that result or challenge."""

    GONE = "gone"  # the job or challenge, or its style picture, was deleted (/forget, retention)
    NONE = "none"  # the job has no style picture (nothing was uploaded for it)
    BUILTIN = "builtin"  # its style is a built-in painting, which every server has already
    ENTRY = "entry"  # a challenge entry's job: its style is the challenge's (saved from the announcement)

    def __init__(self, source: str, why: str, *, builtin: str | None = None) -> None:
        self.source = source  # "job #42", "challenge #3"
        self.why = why
        self.builtin = builtin  # the built-in's name, for BUILTIN
        super().__init__(f"{source}: nothing to save ({why})")
