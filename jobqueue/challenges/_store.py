"""`SqlChallengeStore`: the `ChallengeStore` on the job queue's database (the only challenge SQL).

It shares the `SqlJobStore`'s `Database` (one unit of work = one transaction, `jobqueue._db`) and creates entry jobs
(`rules.entry_job`: `kind="challenge"`, the challenge's style blob and settings) with the job store's own units of
work (`jobqueue._sql_jobs.enqueue_job`, `cancel_job`, `get_job`) inside its transactions. The rules (phases, limits,
votes, ranking, the deadline rule) are the pure functions of `jobqueue.challenges.rules`, applied inside the units
of `jobqueue.challenges._units`, so limits and votes hold under concurrency.

A submission is one transaction: phase and limits are checked, the entry inserted and its job enqueued (with the
idempotency key `challenge-entry:<id>`) together, so a refused enqueue (queue limits) leaves no entry behind and
concurrent submissions cannot exceed the limits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from jobqueue._db import Database
from jobqueue._sql_store import SqlJobStore
from jobqueue._types import EnqueueLimits, Job, NewJob
from jobqueue.challenges import _units as units
from jobqueue.challenges import rules
from jobqueue.challenges._rows import (
    CHALLENGES,
    ENTRIES,
    entry_select,
    epoch,
    fetch_challenge,
    fetch_entry,
    in_channel,
    kept_blobs_selects,
    kept_jobs_select,
    to_challenge,
    to_entry,
)
from jobqueue.challenges._types import (
    Challenge,
    ChallengeState,
    DueEvent,
    Entry,
    EntryState,
    NewChallenge,
    RankedEntry,
    VoteResult,
)
from jobqueue.challenges.errors import EntryNotFound
from jobqueue.errors import ConstraintViolation

__all__ = ["SqlChallengeStore"]

logger = logging.getLogger(__name__)


class SqlChallengeStore:
    """Challenges, entries and votes on the database of `jobs`; `clock` defaults to the job store's."""

    def __init__(self, jobs: SqlJobStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self._db: Database = jobs.db
        self._clock = clock or jobs.options.clock

    def now(self) -> datetime:
        """The store's clock (injectable, so tests move time instead of sleeping)."""
        return self._clock()

    def _now(self, now: datetime | None) -> datetime:
        return now if now is not None else self._clock()

    async def _write(self, fn: Callable[[Any], Any]) -> Any:
        return await self._db.write(lambda tx: fn(tx.conn))

    async def _read(self, fn: Callable[[Any], Any]) -> Any:
        return await self._db.read(lambda tx: fn(tx.conn))

    # challenges
    async def create(self, new: NewChallenge, *, now: datetime | None = None) -> Challenge:
        """Open a challenge; raises ChallengeAlreadyOpen when its channel has one."""
        now = self._now(now)
        rules.check_new_challenge(new, now)
        try:
            challenge: Challenge = await self._write(lambda c: units.create_challenge(c, new, now))
        except ConstraintViolation as exc:  # a concurrent start won the race for this channel, or no such style blob
            await self._read(lambda c: units.refuse_if_open(c, new.channel_id))
            raise ValueError(f"challenge rejected by the database: {exc.reason}") from exc
        logger.info("challenge %s opened in channel %s", challenge.id, new.channel_id)
        return challenge

    async def set_gallery(
        self, challenge_id: int, *, gallery_channel_id: int, announcement_message_id: int | None
    ) -> Challenge:
        values = {"gallery_channel_id": gallery_channel_id, "announcement_message_id": announcement_message_id}
        return await self._write(lambda c: units.set_columns(c, challenge_id, values))

    async def discard(self, challenge_id: int) -> None:
        """Delete a challenge whose announcement could not be posted (it has no entries yet)."""

        def unit(conn: Any) -> None:
            conn.execute(ENTRIES.delete().where(ENTRIES.c.challenge_id == challenge_id))
            conn.execute(CHALLENGES.delete().where(CHALLENGES.c.id == challenge_id))

        await self._write(unit)

    async def get(self, challenge_id: int) -> Challenge:
        return await self._read(lambda c: fetch_challenge(c, challenge_id))

    async def find(self, channel_id: int, *, open_only: bool = True) -> Challenge | None:
        """The open challenge of a channel or gallery thread (or, with open_only=False, the newest one)."""
        stmt = select(CHALLENGES).where(in_channel(channel_id)).order_by(CHALLENGES.c.id.desc()).limit(1)
        if open_only:
            stmt = stmt.where(CHALLENGES.c.state == ChallengeState.OPEN.value)
        row = await self._read(lambda c: c.execute(stmt).first())
        return to_challenge(row) if row is not None else None

    async def list_open(self, *, guild_id: int | None = None) -> list[Challenge]:
        stmt = select(CHALLENGES).where(CHALLENGES.c.state == ChallengeState.OPEN.value).order_by(CHALLENGES.c.id)
        if guild_id is not None:
            stmt = stmt.where(CHALLENGES.c.guild_id == guild_id)
        return await self._read(lambda c: [to_challenge(r) for r in c.execute(stmt).all()])

    async def extend(self, challenge_id: int, by: timedelta, *, now: datetime | None = None) -> Challenge:
        """More time: both deadlines while submissions are open, else only voting's (see `extend_deadlines`)."""
        now = self._now(now)
        return await self._write(lambda c: units.extend_challenge(c, challenge_id, by, now))

    async def end(self, challenge_id: int, *, by: int | None = None, now: datetime | None = None) -> Challenge:
        """Close submissions and voting now; unfinished entry jobs are cancelled. The bot announces the winners."""
        return await self._close(challenge_id, ChallengeState.ENDED, by, self._now(now))

    async def cancel(self, challenge_id: int, *, by: int | None = None, now: datetime | None = None) -> Challenge:
        """Close without winners; unfinished entry jobs are cancelled."""
        return await self._close(challenge_id, ChallengeState.CANCELLED, by, self._now(now))

    async def _close(self, challenge_id: int, state: ChallengeState, by: int | None, now: datetime) -> Challenge:
        challenge, cancelled = await self._db.write(lambda tx: units.close_challenge(tx, challenge_id, state, by, now))
        logger.info("challenge %s %s (%d unfinished entry jobs cancelled)", challenge_id, state.value, cancelled)
        return challenge

    async def mark_submissions_announced(self, challenge_id: int, *, now: datetime | None = None) -> Challenge:
        values = {"submissions_announced_at": epoch(self._now(now))}
        return await self._write(lambda c: units.set_columns(c, challenge_id, values))

    async def mark_announced(self, challenge_id: int, *, now: datetime | None = None) -> Challenge:
        values = {"announced_at": epoch(self._now(now))}
        return await self._write(lambda c: units.set_columns(c, challenge_id, values))

    async def due(self, *, now: datetime | None = None) -> list[DueEvent]:
        """Deadlines that passed unprocessed, and ended/cancelled challenges whose announcement was not posted."""
        now = self._now(now)
        return rules.collect_due(await self.list_open(), await self._read(units.unannounced_closed), now)

    # entries
    async def submit_entry(
        self,
        challenge_id: int,
        *,
        user_id: int,
        content_sha: str,
        strength: float | None = None,
        idempotency_key: str | None = None,
        limits: EnqueueLimits | None = None,
        now: datetime | None = None,
    ) -> tuple[Entry, Job]:
        """Check phase and limits, insert the entry and enqueue its job in one transaction. Idempotent on the key."""
        submission = units.Submission(challenge_id, user_id, content_sha, idempotency_key, limits, self._now(now))

        def make_job(challenge: Challenge, entry_id: int) -> NewJob:
            return rules.entry_job(challenge, entry_id, user_id=user_id, content_sha=content_sha, strength=strength)

        entry, job = await self._db.write(lambda tx: units.submit_entry(tx, submission, make_job))
        logger.info("challenge %s: entry %s by user %s (job %s)", challenge_id, entry.id, user_id, job.id)
        return entry, job

    async def withdraw_entry(self, entry_id: int, *, user_id: int, now: datetime | None = None) -> Entry:
        """The author takes an entry back while the challenge is open; its unfinished job is cancelled."""
        now = self._now(now)
        return await self._db.write(lambda tx: units.withdraw_entry(tx, entry_id, user_id, now))

    async def get_entry(self, entry_id: int) -> Entry:
        return await self._read(lambda c: fetch_entry(c, entry_id))

    async def entry_for_job(self, job_id: int) -> Entry:
        row = await self._read(lambda c: c.execute(entry_select().where(ENTRIES.c.job_id == job_id)).first())
        if row is None:
            raise EntryNotFound(None, job_id=job_id)
        return to_entry(row)

    async def list_entries(
        self, challenge_id: int, *, user_id: int | None = None, include_withdrawn: bool = False
    ) -> list[Entry]:
        stmt = entry_select().where(ENTRIES.c.challenge_id == challenge_id).order_by(ENTRIES.c.id)
        if user_id is not None:
            stmt = stmt.where(ENTRIES.c.user_id == user_id)
        if not include_withdrawn:
            stmt = stmt.where(ENTRIES.c.state == EntryState.ACTIVE.value)
        return await self._read(lambda c: [to_entry(r) for r in c.execute(stmt).all()])

    async def entries_to_post(self, *, limit: int = 20) -> list[Entry]:
        """Entries whose job finished (any terminal state) and that were not posted yet, oldest first."""
        return await self._read(lambda c: units.entries_to_post(c, limit))

    async def mark_entry_posted(self, entry_id: int, *, message_id: int | None, now: datetime | None = None) -> Entry:
        values = {"message_id": message_id, "posted_at": epoch(self._now(now))}

        def unit(conn: Any) -> Entry:
            conn.execute(ENTRIES.update().where(ENTRIES.c.id == entry_id).values(**values))
            return fetch_entry(conn, entry_id)

        return await self._write(unit)

    async def leaderboard(self, challenge_id: int) -> list[RankedEntry]:
        """Finished entries ranked by votes, ties to the earlier submission (`rank_entries`)."""
        return rules.rank_entries(await self.list_entries(challenge_id))

    # votes
    async def toggle_vote(self, entry_id: int, voter_id: int, *, now: datetime | None = None) -> VoteResult:
        """Add the member's vote, or take it back when they voted already."""
        now = self._now(now)
        return await self._write(lambda c: units.toggle_vote(c, entry_id, voter_id, now))

    # blob retention
    async def kept_blobs(self) -> set[str]:
        """Blobs that challenges still need: every challenge's style, open (or not yet announced) ones' entries'
        pictures and results."""
        return await self._read(lambda c: {sha for q in kept_blobs_selects() for sha in c.execute(q).scalars()})

    async def kept_jobs(self) -> set[int]:
        return await self._read(lambda c: set(c.execute(kept_jobs_select()).scalars()))
