"""Embeds for the admin commands (plain functions of the queue's value objects)."""

from __future__ import annotations

import discord
from jobqueue import GuildSettings, JobState, QueueStats

from bot._policy import Policy

__all__ = ["limits_embed", "stats_embed"]


def _seconds(value: float | None) -> str:
    if value is None:
        return "no data yet"
    if value < 90:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min"


def _engines(stats: QueueStats, detailed: bool) -> str:
    """The bot's owner sees each engine (id, host, device, job); a server's admins only how many are alive and
    how many run this server's jobs (the store already left other servers' job ids out)."""
    if not stats.workers:
        return "none alive: queued jobs wait"
    if not detailed:
        busy = sum(1 for worker in stats.workers if worker.current_job_id is not None)
        return f"{len(stats.workers)} alive, {busy} running this server's jobs"
    lines = []
    for worker in stats.workers[:10]:
        beat = discord.utils.format_dt(worker.last_heartbeat, "R") if worker.last_heartbeat else "never"
        job = f", job #{worker.current_job_id}" if worker.current_job_id else ""
        lines.append(f"`{worker.worker_id}` on {worker.hostname} ({worker.device or '?'}), heartbeat {beat}{job}")
    return "\n".join(lines)


def stats_embed(stats: QueueStats, *, scope: str, owner: bool = False) -> discord.Embed:
    """`owner`: the bot's owner, who may see the engines' names and hosts and, for the whole queue, paused servers."""
    paused = "paused" if stats.paused else "running"
    embed = discord.Embed(title=f"Queue ({scope}): {paused}", colour=discord.Colour.dark_teal())
    counts = " · ".join(f"{state.value} {stats.counts.get(state, 0)}" for state in JobState)
    embed.add_field(name="Jobs", value=counts, inline=False)
    running = [
        f"#{job.id} <@{job.user_id}> {job.progress.percent if job.progress else 0}%" for job in stats.running[:10]
    ]
    embed.add_field(name="Running", value="\n".join(running) or "nothing", inline=False)
    embed.add_field(name="Engines", value=_engines(stats, owner), inline=False)
    embed.add_field(name="Mean wait", value=_seconds(stats.mean_wait_seconds), inline=True)
    embed.add_field(name="Mean run", value=_seconds(stats.mean_run_seconds), inline=True)
    if stats.paused_guilds and owner:
        embed.add_field(name="Paused servers", value=", ".join(map(str, stats.paused_guilds[:20])), inline=False)
    return embed


def limits_embed(settings: GuildSettings, policy: Policy) -> discord.Embed:
    embed = discord.Embed(title="Limits on this server", colour=discord.Colour.dark_teal())
    rows = [
        ("Jobs per member", policy.max_queued_per_user, settings.max_queued_per_user),
        ("Jobs per server", policy.max_queued_per_guild, settings.max_queued_per_guild),
        ("Cooldown (s)", f"{policy.cooldown_seconds:g}", settings.cooldown_seconds),
        ("Max size (px)", policy.max_size, settings.max_size),
        ("Max steps", policy.max_steps or "preset's own", settings.max_steps),
        ("Presets", ", ".join(policy.allowed_presets) if policy.allowed_presets else "all", settings.allowed_presets),
    ]
    for name, value, own in rows:
        embed.add_field(name=name, value=f"{value}{'' if own is not None else ' (default)'}", inline=True)
    blocked = ", ".join(f"<@{user}>" for user in sorted(settings.blocked_users)[:30])
    embed.add_field(name="Blocked members", value=blocked or "none", inline=False)
    embed.add_field(name="Paused", value="yes" if settings.paused else "no", inline=True)
    embed.add_field(name="Instant previews", value="off" if settings.previews is False else "on", inline=True)
    return embed
