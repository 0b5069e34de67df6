"""Helpers for the challenge tests: a stand-in guild, the SQL job store on a SQLite file, a bot with a movable clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jobqueue
from bot import Stylebot
from bot.exts.challenge import Challenges
from jobqueue import JobState, SqlChallengeStore, StoreOptions
from standin import Guild, Interaction, Message, Standin, User
from tests.bot.support import make_config, png_bytes, reply_text
from tests.standin.support import connected


class MovableClock:
    """Wall time plus an offset the test moves (deadlines pass without sleeping)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)


@dataclass
class Arena:
    standin: Standin
    guild: Guild
    organiser: User
    members: list[User]
    db_url: str
    clock: MovableClock
    jobs: Any = None
    bots: list[Stylebot] = field(default_factory=list)

    @property
    def channel_id(self) -> int:
        return self.guild.channel_id

    def attachment(self, seed: int, name: str = "picture.png") -> dict[str, Any]:
        return self.standin.add_attachment(png_bytes(40, 40, seed), name, "image/png")

    def cog(self) -> Challenges:
        """The running bot's Challenges cog (compared by name: discord.py re-imports extensions on each load)."""
        cog = self.bots[-1].get_cog("Challenges")
        assert cog is not None and type(cog).__name__ == "Challenges"
        return cog  # type: ignore[return-value]

    async def start(self, user: User | None = None, **options: Any) -> Interaction:
        values = {"style": self.attachment(9, "style.png"), "title": "Night streets", "description": "Your street"}
        values.update({"duration": "1h", **options})
        return await self.standin.run_command("challenge start", values, user=user or self.organiser)

    async def submit(self, user: User, seed: int, channel_id: int | None = None) -> str:
        inter = await self.standin.run_command(
            "challenge submit", {"content": self.attachment(seed)}, user=user, channel_id=channel_id
        )
        return await reply_text(self.standin, inter)

    async def finish_jobs(self) -> list[int]:
        """Act as the engine: complete every queued challenge job with a synthesized picture."""
        done = []
        for job in await self.jobs.claim("test-engine", lease_seconds=60, limit=50):
            await self.jobs.complete(job, result=png_bytes(32, 32, job.id), meta={"weights": "random"})
            done.append(job.id)
        return done

    async def job_states(self) -> list[JobState]:
        return [j.state for j in await self.jobs.list_jobs(kind="challenge", limit=100)]

    def thread_id(self) -> int:
        [thread] = self.standin.threads
        return thread.id

    def entry_posts(self) -> list[Message]:
        return [m for m in self.standin.channel_messages(self.thread_id()) if m.content.startswith("Entry #")]

    async def wait_entry_posts(self, n: int) -> list[Message]:
        return await self.standin.wait_for(lambda: len(self.entry_posts()) >= n and self.entry_posts(), 10, "posts")


@contextlib.asynccontextmanager
async def arena(tmp_path: Path) -> AsyncIterator[Arena]:
    async with Standin() as standin:
        guild = standin.add_guild("Art Club", channels=("contests", "general"))
        organiser = standin.add_member(guild.id, name="organiser", admin=True)
        members = [standin.add_member(guild.id, name=n) for n in ("alice", "bob", "carol")]
        from standin import patch_discord

        with patch_discord(standin.api_base, standin.gateway_url):
            url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
            world = Arena(standin, guild, organiser, members, url, MovableClock())
            world.jobs = await jobqueue.open_store(world.db_url, options=StoreOptions(clock=world.clock))
            try:
                yield world
            finally:
                await world.jobs.close()


@contextlib.asynccontextmanager
async def running(world: Arena, *, tick: float = 0.1, **config_changes: Any) -> AsyncIterator[Stylebot]:
    """A Stylebot on the arena's database, its challenges on the arena's clock; stopped (not crashed) on exit."""
    config = make_config(world.standin, challenge_tick_seconds=tick, challenge_voting_hours=24.0, **config_changes)
    jobs = await jobqueue.open_store(world.db_url, options=StoreOptions(clock=world.clock))  # its own "process"
    bot = Stylebot(config, jobs, challenges=SqlChallengeStore(jobs, clock=world.clock), guild_ready_timeout=0.05)
    world.bots.append(bot)
    try:
        async with connected(bot, world.standin.token):
            yield bot
    finally:
        await jobs.close()
