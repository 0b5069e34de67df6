"""The bot's configuration: plain values that the entry point builds from `stylebot.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.images import DEFAULT_LIMITS, ImageLimits

__all__ = ["BotConfig"]

DISCORD_CDN_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")


@dataclass(frozen=True)
class BotConfig:
    """Everything the extensions need to know; no environment is read below the entry point."""

    attachment_hosts: tuple[str, ...] = DISCORD_CDN_HOSTS
    owner_ids: frozenset[int] = frozenset()
    max_size: int = 1024  # cap on the output's short side; larger requests are clamped with a note
    default_size: int = 512
    default_preset: str = "fast"  # the preset when a request names none (if the server allows it)
    max_queued_per_user: int = 3
    max_queued_per_guild: int = 50
    cooldown_seconds: float = 10.0
    max_attempts: int = 3
    download_timeout: float = 20.0  # seconds for one attachment download
    image_limits: ImageLimits = field(default=DEFAULT_LIMITS)
    sync_commands: bool = True  # sync application commands on start when their payload changed
    max_concurrent_requests: int = 4  # /stylize requests downloading/decoding/enqueueing at once (acks never wait)
    decode_budget_pixels: int = 2 * DEFAULT_LIMITS.max_pixels  # pixels being decoded at once, every command together
    alive_within_seconds: float = 60.0  # an engine with a heartbeat this recent counts as alive
    challenge_voting_hours: float = 24.0  # challenges: voting stays open this long after submissions close
    challenge_tick_seconds: float = 2.0  # challenges: how often finished entries are looked for and posted
    max_styles_per_guild: int = 50  # style library: named styles a server may keep (built-ins not counted)
