"""The units of work of `SqlChallengeStore`: plain functions of one open transaction's connection (`jobqueue._db`).

Each runs inside `Database.write`/`read` (SQLite: `BEGIN IMMEDIATE`, so writers are serialised; PostgreSQL: the
challenge or entry row is locked `FOR UPDATE` first). A domain error raised here rolls the transaction back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from jobqueue._db import Tx
from jobqueue._sql import JOBS
from jobqueue._sql_jobs import cancel_job, enqueue_job, get_job
from jobqueue._types import TERMINAL_STATES, EnqueueLimits, Job, JobState, NewJob
from jobqueue.challenges import rules
from jobqueue.challenges._rows import (
    CHALLENGES,
    ENTRIES,
    VOTES,
    entry_select,
    epoch,
    fetch_challenge,
    fetch_entry,
    to_challenge,
    to_entry,
)
from jobqueue.challenges._types import (
    Challenge,
    ChallengeState,
    Entry,
    EntryState,
    NewChallenge,
    VoteResult,
)
from jobqueue.challenges.errors import ChallengeAlreadyOpen, ChallengeClosed, NotEntryOwner
from jobqueue.errors import InvalidTransition, JobNotFound

__all__ = [
    "Submission",
    "cancel_entry_job",
    "close_challenge",
    "create_challenge",
    "entries_to_post",
    "extend_challenge",
    "refuse_if_open",
    "set_columns",
    "submit_entry",
    "toggle_vote",
    "unannounced_closed",
    "withdraw_entry",
]

_ACTIVE = EntryState.ACTIVE.value


@dataclass(frozen=True)
class Submission:
    challenge_id: int
    user_id: int
    content_sha: str
    key: str | None
    limits: EnqueueLimits | None
    now: datetime


_FREED = (JobState.FAILED.value, JobState.DEAD.value, JobState.CANCELLED.value)


def refuse_if_open(conn: Connection, channel_id: int) -> None:
    stmt = select(CHALLENGES.c.id).where(CHALLENGES.c.open_channel_id == channel_id)
    existing = conn.execute(stmt).scalar()
    if existing is not None:
        raise ChallengeAlreadyOpen(channel_id, existing)


def create_challenge(conn: Connection, new: NewChallenge, now: datetime) -> Challenge:
    refuse_if_open(conn, new.channel_id)
    values = {
        "guild_id": new.guild_id,
        "channel_id": new.channel_id,
        "open_channel_id": new.channel_id,
        "organiser_id": new.organiser_id,
        "title": new.title,
        "description": new.description,
        "style_sha": new.style_sha,
        "params": json.dumps(new.params, sort_keys=True),
        "max_entries_per_user": new.max_entries_per_user,
        "max_entries": new.max_entries,
        "state": ChallengeState.OPEN.value,
        "created_at": epoch(now),
        "submissions_close_at": epoch(new.submissions_close_at),
        "voting_close_at": epoch(new.voting_close_at),
    }
    challenge_id = conn.execute(insert(CHALLENGES).values(values).returning(CHALLENGES.c.id)).scalar_one()
    return fetch_challenge(conn, challenge_id)


def set_columns(conn: Connection, challenge_id: int, values: dict[str, Any]) -> Challenge:
    fetch_challenge(conn, challenge_id)
    conn.execute(update(CHALLENGES).where(CHALLENGES.c.id == challenge_id).values(**values))
    return fetch_challenge(conn, challenge_id)


def extend_challenge(conn: Connection, challenge_id: int, by: timedelta, now: datetime) -> Challenge:
    challenge = fetch_challenge(conn, challenge_id, lock=True)
    close, vote_close = rules.extend_deadlines(challenge, by, now)
    return set_columns(conn, challenge_id, {"submissions_close_at": epoch(close), "voting_close_at": epoch(vote_close)})


def close_challenge(
    tx: Tx, challenge_id: int, state: ChallengeState, by: int | None, now: datetime
) -> tuple[Challenge, int]:
    """OPEN → ENDED/CANCELLED, cancelling its entries' unfinished jobs; returns the challenge and that count."""
    conn = tx.conn
    challenge = fetch_challenge(conn, challenge_id, lock=True)
    if not challenge.is_open:
        raise ChallengeClosed(challenge_id, challenge.state, "end" if state is ChallengeState.ENDED else "cancel")
    values = {"state": state.value, "open_channel_id": None, "ended_at": epoch(now), "ended_by": by}
    challenge = set_columns(conn, challenge_id, values)
    table = JOBS
    stmt = (
        select(ENTRIES.c.job_id)
        .select_from(ENTRIES.join(table, table.c.id == ENTRIES.c.job_id))
        .where(ENTRIES.c.challenge_id == challenge_id, table.c.state.not_in([s.value for s in TERMINAL_STATES]))
    )
    job_ids = list(conn.execute(stmt).scalars())
    for job_id in job_ids:
        cancel_entry_job(tx, job_id, by, now)
    return challenge, len(job_ids)


def cancel_entry_job(tx: Tx, job_id: int, by: int | None, now: datetime) -> None:
    """Cancel a queued job at once, ask a running one to stop; a finished one is left alone."""
    try:
        cancel_job(tx, job_id, by, epoch(now))
    except (InvalidTransition, JobNotFound):
        return


def _entry_counts(conn: Connection, challenge_id: int, user_id: int) -> tuple[int, int]:
    """Active entries (this member's, all) that count: a failed or cancelled job frees its slot."""
    jobs = JOBS
    stmt = (
        select(func.count().filter(ENTRIES.c.user_id == user_id), func.count())
        .select_from(ENTRIES.outerjoin(jobs, jobs.c.id == ENTRIES.c.job_id))
        .where(
            ENTRIES.c.challenge_id == challenge_id,
            ENTRIES.c.state == _ACTIVE,
            or_(jobs.c.state.is_(None), jobs.c.state.not_in(_FREED)),
        )
    )
    user_count, total = conn.execute(stmt).one()
    return int(user_count or 0), int(total or 0)


def submit_entry(tx: Tx, submission: Submission, make_job: Callable[[Challenge, int], NewJob]) -> tuple[Entry, Job]:
    """Check phase and limits, insert the entry and enqueue its job: one transaction, so limits hold under load.

    A retried submission (same idempotency key) returns the entry and job made the first time.
    """
    conn, s = tx.conn, submission
    if s.key is not None:
        found = conn.execute(select(ENTRIES.c.id).where(ENTRIES.c.idempotency_key == s.key)).scalar()
        if found is not None:
            entry = fetch_entry(conn, found)
            return entry, get_job(tx, entry.job_id)  # type: ignore[arg-type]
    challenge = fetch_challenge(conn, s.challenge_id, lock=True)
    rules.check_submission(challenge, s.now)
    user_count, total = _entry_counts(conn, s.challenge_id, s.user_id)
    rules.check_entry_limits(challenge, user_entries=user_count, total_entries=total)
    values = {
        "challenge_id": s.challenge_id,
        "user_id": s.user_id,
        "content_sha": s.content_sha,
        "state": _ACTIVE,
        "submitted_at": epoch(s.now),
        "idempotency_key": s.key,
        "job_id": None,
    }
    entry_id = conn.execute(insert(ENTRIES).values(values).returning(ENTRIES.c.id)).scalar_one()
    job = enqueue_job(tx, make_job(challenge, entry_id), s.limits, epoch(s.now))
    conn.execute(update(ENTRIES).where(ENTRIES.c.id == entry_id).values(job_id=job.id))
    return fetch_entry(conn, entry_id), job


def withdraw_entry(tx: Tx, entry_id: int, user_id: int, now: datetime) -> Entry:
    """The author takes an entry back while the challenge is open; its unfinished job is cancelled."""
    conn = tx.conn
    entry = fetch_entry(conn, entry_id)
    if entry.user_id != user_id:
        raise NotEntryOwner(entry_id, user_id)
    challenge = fetch_challenge(conn, entry.challenge_id, lock=True)
    if not challenge.is_open or not entry.active:
        raise ChallengeClosed(challenge.id, challenge.state if entry.active else "withdrawn", "withdraw")
    withdrawn = {"state": EntryState.WITHDRAWN.value, "withdrawn_at": epoch(now)}
    conn.execute(update(ENTRIES).where(ENTRIES.c.id == entry_id).values(**withdrawn))
    if entry.job_id is not None:
        cancel_entry_job(tx, entry.job_id, user_id, now)
    return fetch_entry(conn, entry_id)


def toggle_vote(conn: Connection, entry_id: int, voter_id: int, now: datetime) -> VoteResult:
    conn.execute(select(ENTRIES.c.id).where(ENTRIES.c.id == entry_id).with_for_update())
    entry = fetch_entry(conn, entry_id)
    rules.check_vote(fetch_challenge(conn, entry.challenge_id), entry, voter_id, now)
    mine = (VOTES.c.entry_id == entry_id) & (VOTES.c.voter_id == voter_id)
    removed = conn.execute(delete(VOTES).where(mine)).rowcount
    if not removed:
        conn.execute(insert(VOTES).values(entry_id=entry_id, voter_id=voter_id, created_at=epoch(now)))
    count = conn.execute(select(func.count()).select_from(VOTES).where(VOTES.c.entry_id == entry_id)).scalar_one()
    return VoteResult(entry_id=entry_id, voted=not removed, votes=int(count))


def entries_to_post(conn: Connection, limit: int) -> list[Entry]:
    """Entries whose job reached a terminal state and that were not posted yet, oldest first."""
    done = [s.value for s in TERMINAL_STATES]
    stmt = (
        entry_select().where(ENTRIES.c.posted_at.is_(None), JOBS.c.state.in_(done)).order_by(ENTRIES.c.id).limit(limit)
    )
    return [to_entry(r) for r in conn.execute(stmt).all()]


def unannounced_closed(conn: Connection) -> list[Challenge]:
    stmt = select(CHALLENGES).where(
        CHALLENGES.c.state != ChallengeState.OPEN.value, CHALLENGES.c.announced_at.is_(None)
    )
    return [to_challenge(r) for r in conn.execute(stmt).all()]
