"""A server's effective policy: its admins' settings over the bot-wide defaults, and the checks built on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from jobqueue import EnqueueLimits, GuildSettings

from bot._config import BotConfig
from bot.errors import CooldownActive, LimitAboveOperator, PresetNotAllowed, UserBlocked

if TYPE_CHECKING:
    from jobqueue import JobStore

__all__ = ["STRICTER", "Policy", "check_cooldown", "check_stricter", "load_policy"]


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
        """The operator's limits, made stricter (never looser) by the server's own, field by field."""
        g = guild

        def pick(name: str) -> float:
            own = getattr(g, name) if g is not None else None
            operator = getattr(config, name)
            return operator if own is None else STRICTER[name](operator, own)

        return cls(
            guild_id=g.guild_id if g else None,
            max_queued_per_user=int(pick("max_queued_per_user")),
            max_queued_per_guild=int(pick("max_queued_per_guild")),
            cooldown_seconds=float(pick("cooldown_seconds")),
            max_size=int(pick("max_size")),
            max_steps=g.max_steps if g else None,  # the operator sets no step cap (the engine's time limit binds)
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

    def check_preset(self, preset: str) -> None:
        """Raise PresetNotAllowed unless this server allows `preset` (/stylize and the result buttons alike)."""
        if self.allowed_presets is not None and preset not in self.allowed_presets:
            raise PresetNotAllowed(preset, self.allowed_presets)


# Operator limits a server may change, and which of two values is the stricter one (the one that applies).
STRICTER: dict[str, Callable[[float, float], float]] = {
    "max_queued_per_user": min,
    "max_queued_per_guild": min,
    "cooldown_seconds": max,  # a longer cooldown is stricter
    "max_size": min,
}


def check_stricter(config: BotConfig, changes: Mapping[str, float], options: Mapping[str, str]) -> None:
    """Raise LimitAboveOperator for the first server value looser than the operator's (`options`: field → option)."""
    for name, value in changes.items():
        rule = STRICTER.get(name)
        if rule is None:
            continue
        operator = getattr(config, name)
        if rule(operator, value) != value:
            raise LimitAboveOperator(options.get(name, name), value, operator, at_least=rule is max)


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
