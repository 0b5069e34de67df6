"""`InMemoryChallengeStore`: the `ChallengeStore` on dicts, over an `InMemoryJobStore` (see `.testing`).

It applies the same rules (`jobqueue.challenges.rules`) as `SqlChallengeStore`; one asyncio lock stands in for the
database's transactions, so concurrent submissions cannot exceed the limits. The contract suite
(tests/jobqueue/test_challenges.py) runs on both. `kept_blobs`/`kept_jobs` take no lock: the job store awaits them
from inside its own `gc`/`forget_user`.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from jobqueue._memory_store import InMemoryJobStore
from jobqueue._rows import from_epoch
from jobqueue._types import TERMINAL_STATES, EnqueueLimits, Job, JobState
from jobqueue.challenges import rules
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
from jobqueue.challenges.errors import (
    ChallengeAlreadyOpen,
    ChallengeClosed,
    ChallengeNotFound,
    EntryNotFound,
    NotEntryOwner,
)
from jobqueue.errors import BlobNotFound, InvalidTransition, JobNotFound

__all__ = ["InMemoryChallengeStore"]

logger = logging.getLogger(__name__)

_FREED = (JobState.FAILED, JobState.DEAD, JobState.CANCELLED)  # a job in these states frees its entry's slot


def _stored(value: datetime) -> datetime:
    """As the database gives it back: epoch seconds, as an aware UTC datetime."""
    return from_epoch(value.timestamp())  # type: ignore[return-value]


class InMemoryChallengeStore:
    """Challenges, entries and votes in memory; entry jobs go to `jobs`. `clock` defaults to the job store's."""

    def __init__(self, jobs: InMemoryJobStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self._jobs = jobs
        self._clock = clock or jobs.options.clock
        self._lock = asyncio.Lock()
        self._challenges: dict[int, Challenge] = {}
        self._entries: dict[int, Entry] = {}  # without votes and job fields: `_entry` joins those in
        self._votes: dict[int, set[int]] = {}  # entry id → voter ids
        self._keys: dict[str, int] = {}  # submission idempotency key → entry id
        self._next_id = 1

    def now(self) -> datetime:
        return self._clock()

    def _now(self, now: datetime | None) -> datetime:
        return now if now is not None else self._clock()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    # challenges
    def _challenge(self, challenge_id: int) -> Challenge:
        try:
            return self._challenges[challenge_id]
        except KeyError:
            raise ChallengeNotFound(challenge_id) from None

    def _update(self, challenge_id: int, **changes: Any) -> Challenge:
        challenge = dataclasses.replace(self._challenge(challenge_id), **changes)
        self._challenges[challenge_id] = challenge
        return challenge

    def _refuse_if_open(self, channel_id: int) -> None:
        for challenge in self._challenges.values():
            if challenge.is_open and challenge.channel_id == channel_id:
                raise ChallengeAlreadyOpen(channel_id, challenge.id)

    async def create(self, new: NewChallenge, *, now: datetime | None = None) -> Challenge:
        now = self._now(now)
        rules.check_new_challenge(new, now)
        async with self._lock:
            self._refuse_if_open(new.channel_id)
            try:
                await self._jobs.get_blob(new.style_sha)
            except BlobNotFound as exc:  # the SQL store's foreign key
                raise ValueError(f"challenge rejected: no style blob {new.style_sha}") from exc
            fields = {f.name: getattr(new, f.name) for f in dataclasses.fields(NewChallenge)}
            fields |= {"params": copy.deepcopy(new.params), "state": ChallengeState.OPEN, "created_at": _stored(now)}
            fields |= {k: _stored(fields[k]) for k in ("submissions_close_at", "voting_close_at")}
            challenge = Challenge(id=self._new_id(), **fields)
            self._challenges[challenge.id] = challenge
        logger.info("challenge %s opened in channel %s", challenge.id, new.channel_id)
        return challenge

    async def set_gallery(
        self, challenge_id: int, *, gallery_channel_id: int, announcement_message_id: int | None
    ) -> Challenge:
        changes = {"gallery_channel_id": gallery_channel_id, "announcement_message_id": announcement_message_id}
        return self._update(challenge_id, **changes)

    async def discard(self, challenge_id: int) -> None:
        doomed = {e.id for e in self._entries.values() if e.challenge_id == challenge_id}
        for entry_id in doomed:
            del self._entries[entry_id]
            self._votes.pop(entry_id, None)
        self._keys = {key: i for key, i in self._keys.items() if i not in doomed}
        self._challenges.pop(challenge_id, None)

    async def get(self, challenge_id: int) -> Challenge:
        return self._challenge(challenge_id)

    async def find(self, channel_id: int, *, open_only: bool = True) -> Challenge | None:
        found = [
            c
            for c in self._challenges.values()
            if channel_id in (c.channel_id, c.gallery_channel_id) and (c.is_open or not open_only)
        ]
        return max(found, key=lambda c: c.id, default=None)

    async def list_open(self, *, guild_id: int | None = None) -> list[Challenge]:
        found = (c for c in self._challenges.values() if c.is_open and guild_id in (None, c.guild_id))
        return sorted(found, key=lambda c: c.id)

    async def extend(self, challenge_id: int, by: timedelta, *, now: datetime | None = None) -> Challenge:
        now = self._now(now)
        async with self._lock:
            close, vote_close = rules.extend_deadlines(self._challenge(challenge_id), by, now)
            return self._update(challenge_id, submissions_close_at=_stored(close), voting_close_at=_stored(vote_close))

    async def end(self, challenge_id: int, *, by: int | None = None, now: datetime | None = None) -> Challenge:
        return await self._close(challenge_id, ChallengeState.ENDED, by, self._now(now))

    async def cancel(self, challenge_id: int, *, by: int | None = None, now: datetime | None = None) -> Challenge:
        return await self._close(challenge_id, ChallengeState.CANCELLED, by, self._now(now))

    async def _close(self, challenge_id: int, state: ChallengeState, by: int | None, now: datetime) -> Challenge:
        async with self._lock:
            challenge = self._challenge(challenge_id)
            if not challenge.is_open:
                action = "end" if state is ChallengeState.ENDED else "cancel"
                raise ChallengeClosed(challenge_id, challenge.state, action)
            challenge = self._update(challenge_id, state=state, ended_at=_stored(now), ended_by=by)
            cancelled = 0
            for entry in [e for e in self._entries.values() if e.challenge_id == challenge_id]:
                job = await self._job(entry.job_id)
                if job is not None and job.state not in TERMINAL_STATES:
                    await self._cancel_job(job.id, by)
                    cancelled += 1
        logger.info("challenge %s %s (%d unfinished entry jobs cancelled)", challenge_id, state.value, cancelled)
        return challenge

    async def mark_submissions_announced(self, challenge_id: int, *, now: datetime | None = None) -> Challenge:
        return self._update(challenge_id, submissions_announced_at=_stored(self._now(now)))

    async def mark_announced(self, challenge_id: int, *, now: datetime | None = None) -> Challenge:
        return self._update(challenge_id, announced_at=_stored(self._now(now)))

    async def due(self, *, now: datetime | None = None) -> list[DueEvent]:
        now = self._now(now)
        unannounced = [c for c in self._challenges.values() if not c.is_open and c.announced_at is None]
        return rules.collect_due(await self.list_open(), unannounced, now)

    # entries
    async def _job(self, job_id: int | None) -> Job | None:
        if job_id is None:
            return None
        try:
            return await self._jobs.get(job_id)
        except JobNotFound:  # forgotten (`forget_user`): the SQL store's ON DELETE SET NULL
            return None

    async def _cancel_job(self, job_id: int, by: int | None) -> None:
        try:
            await self._jobs.cancel(job_id, by=by)
        except (InvalidTransition, JobNotFound):
            return

    async def _entry(self, entry_id: int) -> Entry:
        stored = self._entries.get(entry_id)
        if stored is None:
            raise EntryNotFound(entry_id)
        job = await self._job(stored.job_id)
        return dataclasses.replace(
            stored,
            job_id=job.id if job is not None else None,
            votes=len(self._votes.get(entry_id, ())),
            job_state=job.state if job is not None else None,
            result_sha=job.result_sha if job is not None else None,
        )

    async def _entries_of(self, challenge_id: int) -> list[Entry]:
        return [await self._entry(i) for i, e in sorted(self._entries.items()) if e.challenge_id == challenge_id]

    async def _counts(self, challenge_id: int, user_id: int) -> tuple[int, int]:
        """Active entries (this member's, all) that count: a failed or cancelled job frees its slot."""
        counted = [e for e in await self._entries_of(challenge_id) if e.active and e.job_state not in _FREED]
        return sum(1 for e in counted if e.user_id == user_id), len(counted)

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
        now = self._now(now)
        async with self._lock:
            if idempotency_key is not None and idempotency_key in self._keys:
                entry = await self._entry(self._keys[idempotency_key])
                return entry, await self._jobs.get(entry.job_id)  # type: ignore[arg-type]
            challenge = self._challenge(challenge_id)
            rules.check_submission(challenge, now)
            user_count, total = await self._counts(challenge_id, user_id)
            rules.check_entry_limits(challenge, user_entries=user_count, total_entries=total)
            entry_id = self._new_id()
            new = rules.entry_job(challenge, entry_id, user_id=user_id, content_sha=content_sha, strength=strength)
            job = await self._jobs.enqueue(new, limits=limits)  # a refusal leaves no entry behind
            self._entries[entry_id] = Entry(
                id=entry_id,
                challenge_id=challenge_id,
                user_id=user_id,
                job_id=job.id,
                content_sha=content_sha,
                state=EntryState.ACTIVE,
                submitted_at=_stored(now),
            )
            if idempotency_key is not None:
                self._keys[idempotency_key] = entry_id
            entry = await self._entry(entry_id)
        logger.info("challenge %s: entry %s by user %s (job %s)", challenge_id, entry.id, user_id, job.id)
        return entry, job

    async def withdraw_entry(self, entry_id: int, *, user_id: int, now: datetime | None = None) -> Entry:
        now = self._now(now)
        async with self._lock:
            entry = await self._entry(entry_id)
            if entry.user_id != user_id:
                raise NotEntryOwner(entry_id, user_id)
            challenge = self._challenge(entry.challenge_id)
            if not challenge.is_open or not entry.active:
                raise ChallengeClosed(challenge.id, challenge.state if entry.active else "withdrawn", "withdraw")
            changes = {"state": EntryState.WITHDRAWN, "withdrawn_at": _stored(now)}
            self._entries[entry_id] = dataclasses.replace(self._entries[entry_id], **changes)
            if entry.job_id is not None:
                await self._cancel_job(entry.job_id, user_id)
            return await self._entry(entry_id)

    async def get_entry(self, entry_id: int) -> Entry:
        return await self._entry(entry_id)

    async def entry_for_job(self, job_id: int) -> Entry:
        for entry in self._entries.values():
            if entry.job_id == job_id and await self._job(job_id) is not None:
                return await self._entry(entry.id)
        raise EntryNotFound(None, job_id=job_id)

    async def list_entries(
        self, challenge_id: int, *, user_id: int | None = None, include_withdrawn: bool = False
    ) -> list[Entry]:
        return [
            e
            for e in await self._entries_of(challenge_id)
            if user_id in (None, e.user_id) and (include_withdrawn or e.active)
        ]

    async def entries_to_post(self, *, limit: int = 20) -> list[Entry]:
        out = []
        for entry_id, stored in sorted(self._entries.items()):
            entry = await self._entry(entry_id)
            if stored.posted_at is None and entry.job_state in TERMINAL_STATES:
                out.append(entry)
        return out[:limit]

    async def mark_entry_posted(self, entry_id: int, *, message_id: int | None, now: datetime | None = None) -> Entry:
        if entry_id in self._entries:
            changes = {"message_id": message_id, "posted_at": _stored(self._now(now))}
            self._entries[entry_id] = dataclasses.replace(self._entries[entry_id], **changes)
        return await self._entry(entry_id)

    async def leaderboard(self, challenge_id: int) -> list[RankedEntry]:
        return rules.rank_entries(await self.list_entries(challenge_id))

    # votes
    async def toggle_vote(self, entry_id: int, voter_id: int, *, now: datetime | None = None) -> VoteResult:
        now = self._now(now)
        async with self._lock:
            entry = await self._entry(entry_id)
            rules.check_vote(self._challenge(entry.challenge_id), entry, voter_id, now)
            voters = self._votes.setdefault(entry_id, set())
            voted = voter_id not in voters
            if voted:
                voters.add(voter_id)
            else:
                voters.discard(voter_id)
            return VoteResult(entry_id=entry_id, voted=voted, votes=len(voters))

    # what the job store must keep
    def _live_entries(self) -> list[Entry]:
        live = {c.id for c in self._challenges.values() if c.is_open or c.announced_at is None}
        return [e for e in self._entries.values() if e.challenge_id in live]

    async def kept_blobs(self) -> set[str]:
        """Blobs that challenges still need: every challenge's style (the SQL store's foreign key), and open (or not
        yet announced) challenges' entries' pictures and results."""
        styles = {c.style_sha for c in self._challenges.values()}
        entries = self._live_entries()
        results = {job.result_sha for e in entries if (job := await self._job(e.job_id)) and job.result_sha}
        return styles | {e.content_sha for e in entries} | results

    async def forget_member(self, user_id: int) -> int:
        """What `forget_user` does to the member's challenge rows (see `jobqueue.challenges._forget`); no lock, and
        no await between its changes: the job store runs it from inside its own `forget_user`."""
        live = {c.id for c in self._challenges.values() if c.is_open or c.announced_at is None}
        doomed = {
            e.id
            for e in self._entries.values()
            if e.user_id == user_id and (e.state is EntryState.WITHDRAWN or e.challenge_id not in live)
        }
        for entry_id in doomed:
            del self._entries[entry_id]
            self._votes.pop(entry_id, None)
        self._keys = {key: i for key, i in self._keys.items() if i not in doomed}
        for entry_id, voters in self._votes.items():
            if user_id in voters:
                voters.discard(user_id)
                if self._entries[entry_id].challenge_id not in live:
                    voters.add(rules.anonymous_voter())
        for c in [c for c in self._challenges.values() if c.id not in live]:
            if user_id in (c.organiser_id, c.ended_by):
                organiser = 0 if c.organiser_id == user_id else c.organiser_id
                ended_by = None if c.ended_by == user_id else c.ended_by
                self._update(c.id, organiser_id=organiser, ended_by=ended_by)
        return len(doomed)

    async def kept_jobs(self) -> set[int]:
        return {e.job_id for e in self._live_entries() if e.job_id is not None and await self._job(e.job_id)}
