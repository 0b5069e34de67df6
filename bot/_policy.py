"""A server's effective policy: its admins' settings over the bot-wide defaults, and the checks built on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from jobqueue import EnqueueLimits, GuildSettings

from bot._config import BotConfig
from bot.errors import CooldownActive, UserBlocked

if TYPE_CHECKING:
    from jobqueue import JobStore

__all__ = ["Policy", "check_cooldown", "load_policy"]


@dataclass(frozen=True)
class Policy:
    guild_id: int | None
    max_queued_per_user: int
    max_queued_per_guild: int
    cooldown_seconds: float
    max_size: int
    max_steps: int | None
    allowed_presets: tuple[str, ...] | None
    blocked_users: frozenset[int]

    @classmethod
    def build(cls, config: BotConfig, guild: GuildSettings | None) -> Policy:
        def pick(value: float | None, default: float) -> float:
            return default if value is None else value

        g = guild
        max_size = config.max_size
        if g is not None and g.max_size is not None:
            max_size = min(max_size, g.max_size)
        return cls(
            guild_id=g.guild_id if g else None,
            max_queued_per_user=int(pick(g and g.max_queued_per_user, config.max_queued_per_user)),
            max_queued_per_guild=int(pick(g and g.max_queued_per_guild, config.max_queued_per_guild)),
            cooldown_seconds=float(pick(g and g.cooldown_seconds, config.cooldown_seconds)),
            max_size=max_size,
            max_steps=g.max_steps if g else None,
            allowed_presets=g.allowed_presets if g else None,
            blocked_users=g.blocked_users if g else frozenset(),
        )

    def limits(self) -> EnqueueLimits:
        return EnqueueLimits(
            max_queued_per_user=self.max_queued_per_user,
            max_queued_per_guild=self.max_queued_per_guild if self.guild_id is not None else None,
        )

    def check_not_blocked(self, user_id: int) -> None:
        if user_id in self.blocked_users:
            raise UserBlocked(self.guild_id)


async def load_policy(store: JobStore, config: BotConfig, guild_id: int | None) -> Policy:
    guild = await store.get_guild_settings(guild_id) if guild_id is not None else None
    return Policy.build(config, guild)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def check_cooldown(store: JobStore, policy: Policy, user_id: int, *, now: datetime | None = None) -> None:
    """Raise CooldownActive when the member's last request in this server is more recent than the cooldown."""
    if policy.cooldown_seconds <= 0:
        return
    last = await store.last_enqueued_at(user_id, policy.guild_id)
    if last is None:
        return
    retry_at = _aware(last) + timedelta(seconds=policy.cooldown_seconds)
    if (now or datetime.now(UTC)) < retry_at:
        raise CooldownActive(retry_at)
