"""Statements and row conversions shared by `SqlChallengeStore` (Core, not the ORM: small, explicit queries)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from jobqueue._policy import KeptRefs
from jobqueue._rows import from_epoch
from jobqueue._sql import JOBS
from jobqueue._types import JobState
from jobqueue.challenges._models import ChallengeRow, EntryRow, VoteRow
from jobqueue.challenges._types import Challenge, ChallengeState, Entry, EntryState
from jobqueue.challenges.errors import ChallengeNotFound, EntryNotFound

__all__ = [
    "CHALLENGES",
    "ENTRIES",
    "VOTES",
    "challenge_kept_refs",
    "entry_select",
    "epoch",
    "fetch_challenge",
    "fetch_entry",
    "in_channel",
    "kept_blobs_selects",
    "kept_jobs_select",
    "to_challenge",
    "to_entry",
]

CHALLENGES = ChallengeRow.__table__
ENTRIES = EntryRow.__table__
VOTES = VoteRow.__table__


def epoch(value: datetime) -> float:
    """An aware datetime → epoch seconds, as stored."""
    return value.timestamp()


def to_challenge(row: Any) -> Challenge:
    m = row._mapping
    return Challenge(
        id=m["id"],
        guild_id=m["guild_id"],
        channel_id=m["channel_id"],
        organiser_id=m["organiser_id"],
        title=m["title"],
        description=m["description"],
        style_sha=m["style_sha"],
        params=json.loads(m["params"] or "{}"),
        state=ChallengeState(m["state"]),
        created_at=from_epoch(m["created_at"]),  # type: ignore[arg-type]
        submissions_close_at=from_epoch(m["submissions_close_at"]),  # type: ignore[arg-type]
        voting_close_at=from_epoch(m["voting_close_at"]),  # type: ignore[arg-type]
        max_entries_per_user=m["max_entries_per_user"],
        max_entries=m["max_entries"],
        gallery_channel_id=m["gallery_channel_id"],
        announcement_message_id=m["announcement_message_id"],
        submissions_announced_at=from_epoch(m["submissions_announced_at"]),
        ended_at=from_epoch(m["ended_at"]),
        announced_at=from_epoch(m["announced_at"]),
        ended_by=m["ended_by"],
    )


def entry_select() -> Select[Any]:
    """Entries with their vote count and their job's state and result."""
    jobs = JOBS
    votes = select(func.count()).select_from(VOTES).where(VOTES.c.entry_id == ENTRIES.c.id).scalar_subquery()
    return select(
        ENTRIES,
        votes.label("votes"),
        jobs.c.state.label("job_state"),
        jobs.c.result_sha.label("result_sha"),
    ).select_from(ENTRIES.outerjoin(jobs, jobs.c.id == ENTRIES.c.job_id))


def to_entry(row: Any) -> Entry:
    m = row._mapping
    return Entry(
        id=m["id"],
        challenge_id=m["challenge_id"],
        user_id=m["user_id"],
        job_id=m["job_id"],
        content_sha=m["content_sha"],
        state=EntryState(m["state"]),
        submitted_at=from_epoch(m["submitted_at"]),  # type: ignore[arg-type]
        votes=int(m["votes"] or 0),
        job_state=JobState(m["job_state"]) if m["job_state"] else None,
        result_sha=m["result_sha"],
        message_id=m["message_id"],
        posted_at=from_epoch(m["posted_at"]),
        withdrawn_at=from_epoch(m["withdrawn_at"]),
    )


def fetch_challenge(conn: Connection, challenge_id: int, *, lock: bool = False) -> Challenge:
    stmt = select(CHALLENGES).where(CHALLENGES.c.id == challenge_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise ChallengeNotFound(challenge_id)
    return to_challenge(row)


def fetch_entry(conn: Connection, entry_id: int) -> Entry:
    row = conn.execute(entry_select().where(ENTRIES.c.id == entry_id)).first()
    if row is None:
        raise EntryNotFound(entry_id)
    return to_entry(row)


def in_channel(channel_id: int) -> Any:
    """A challenge announced in this channel or whose gallery thread this is."""
    return or_(CHALLENGES.c.channel_id == channel_id, CHALLENGES.c.gallery_channel_id == channel_id)


def kept_blobs_selects() -> list[Select[Any]]:
    """Blob shas that challenges still use: every challenge's style (its row refers to it by a foreign key, so it
    cannot go before the challenge does), and open (or not yet announced) challenges' entries' content and results.

    Three plain selects (not one UNION): the job store unions every kept query itself.
    """
    jobs = JOBS
    live = or_(CHALLENGES.c.state == ChallengeState.OPEN.value, CHALLENGES.c.announced_at.is_(None))
    styles = select(CHALLENGES.c.style_sha.label("sha"))
    entry_rows = ENTRIES.join(CHALLENGES, CHALLENGES.c.id == ENTRIES.c.challenge_id)
    contents = select(ENTRIES.c.content_sha.label("sha")).select_from(entry_rows).where(live)
    results = (
        select(jobs.c.result_sha.label("sha"))
        .select_from(entry_rows.join(jobs, jobs.c.id == ENTRIES.c.job_id))
        .where(and_(live, jobs.c.result_sha.is_not(None)))
    )
    return [styles, contents, results]


def kept_jobs_select() -> Select[Any]:
    """Job ids of entries in open (or not yet announced) challenges: `forget_user` keeps them."""
    live = or_(CHALLENGES.c.state == ChallengeState.OPEN.value, CHALLENGES.c.announced_at.is_(None))
    return (
        select(ENTRIES.c.job_id)
        .select_from(ENTRIES.join(CHALLENGES, CHALLENGES.c.id == ENTRIES.c.challenge_id))
        .where(and_(live, ENTRIES.c.job_id.is_not(None)))
    )


def challenge_kept_refs() -> KeptRefs[Select[Any]]:
    """What open (or not yet announced) challenges keep in the job store; entry points open it with
    `open_store(url, kept=challenge_kept_refs())`, so `gc` and `forget_user` leave those blobs and jobs alone, and
    `forget_user` forgets the member's challenge rows too (`jobqueue.challenges._forget`)."""
    from jobqueue.challenges._forget import forget_member  # (it builds on this module's tables)

    return KeptRefs(blobs=tuple(kept_blobs_selects()), jobs=(kept_jobs_select(),), forget=(forget_member,))
