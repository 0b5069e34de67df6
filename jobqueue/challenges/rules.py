"""The rules of a challenge as pure functions: phases, deadlines, limits, votes and ranking.

Both challenge stores apply them (the SQL one inside its transactions) and the bot uses them for display, so all agree.

The deadline rule: an entry is admitted when it was *submitted* before `submissions_close_at`, whatever the state of
its job then. A job still queued or running at the submission deadline keeps running and its entry is posted and can
be voted on when it finishes, until voting closes. At the end of voting only finished entries (job succeeded) are
ranked; entries whose job has not finished by then are left out of the results (and their jobs are cancelled).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from jobqueue._types import DeliveryTarget, NewJob, TargetKind
from jobqueue.challenges._types import (
    Challenge,
    ChallengeEvent,
    ChallengePhase,
    ChallengeState,
    DueEvent,
    Entry,
    NewChallenge,
    RankedEntry,
)
from jobqueue.challenges.errors import ChallengeClosed, EntryLimitReached, SelfVote

__all__ = [
    "MAX_DURATION",
    "MIN_DURATION",
    "anonymous_voter",
    "check_entry_limits",
    "check_new_challenge",
    "check_submission",
    "check_vote",
    "collect_due",
    "compute_deadlines",
    "due_events",
    "entry_job",
    "extend_deadlines",
    "next_event",
    "phase_at",
    "rank_entries",
]

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=90)


def phase_at(challenge: Challenge, now: datetime) -> ChallengePhase:
    if challenge.state is ChallengeState.CANCELLED:
        return ChallengePhase.CANCELLED
    if challenge.state is ChallengeState.ENDED:
        return ChallengePhase.ENDED
    if now < challenge.submissions_close_at:
        return ChallengePhase.SUBMISSIONS
    if now < challenge.voting_close_at:
        return ChallengePhase.VOTING
    return ChallengePhase.CLOSING


def compute_deadlines(now: datetime, duration: timedelta, voting_period: timedelta) -> tuple[datetime, datetime]:
    """(submissions close, voting closes) for a challenge started at `now`."""
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ValueError(f"duration must be between {MIN_DURATION} and {MAX_DURATION}, got {duration}")
    if not timedelta(0) <= voting_period <= MAX_DURATION:
        raise ValueError(f"voting period must be between 0 and {MAX_DURATION}, got {voting_period}")
    close = now + duration
    return close, close + voting_period


def extend_deadlines(challenge: Challenge, by: timedelta, now: datetime) -> tuple[datetime, datetime]:
    """New (submissions close, voting closes) after extending by `by`.

    While submissions are open both deadlines move (the voting period keeps its length); once they closed only the
    voting deadline moves (submissions never reopen). An ended, cancelled or closing challenge cannot be extended.
    """
    if by <= timedelta(0) or by > MAX_DURATION:
        raise ValueError(f"extension must be between 0 and {MAX_DURATION}, got {by}")
    phase = phase_at(challenge, now)
    if phase is ChallengePhase.SUBMISSIONS:
        return challenge.submissions_close_at + by, challenge.voting_close_at + by
    if phase is ChallengePhase.VOTING:
        return challenge.submissions_close_at, challenge.voting_close_at + by
    raise ChallengeClosed(challenge.id, phase, "extend")


def next_event(challenge: Challenge) -> tuple[ChallengeEvent, datetime] | None:
    """The next deadline the bot has to process for this challenge (possibly already past), or None."""
    if challenge.state is not ChallengeState.OPEN:
        return None
    if challenge.submissions_announced_at is None:
        return ChallengeEvent.SUBMISSIONS_CLOSED, challenge.submissions_close_at
    return ChallengeEvent.VOTING_CLOSED, challenge.voting_close_at


def due_events(challenge: Challenge, now: datetime) -> list[ChallengeEvent]:
    """Deadlines that have passed and were not processed yet, in order."""
    if challenge.state is not ChallengeState.OPEN:
        return []
    out: list[ChallengeEvent] = []
    if challenge.submissions_announced_at is None and challenge.submissions_close_at <= now:
        out.append(ChallengeEvent.SUBMISSIONS_CLOSED)
    if challenge.voting_close_at <= now:
        out.append(ChallengeEvent.VOTING_CLOSED)
    return out


def collect_due(
    open_challenges: Iterable[Challenge], unannounced: Iterable[Challenge], now: datetime
) -> list[DueEvent]:
    """Every passed, unprocessed deadline of the open challenges, then the closed ones whose results were not posted."""
    out = [DueEvent(c, event, now) for c in open_challenges for event in due_events(c, now)]
    out.extend(DueEvent(c, ChallengeEvent.VOTING_CLOSED, now) for c in unannounced)
    return out


def check_new_challenge(new: NewChallenge, now: datetime) -> None:
    """Raise ValueError for limits below 1 or deadlines out of order (or already past)."""
    if new.max_entries_per_user < 1 or (new.max_entries is not None and new.max_entries < 1):
        raise ValueError("entry limits must be at least 1")
    if not now < new.submissions_close_at <= new.voting_close_at:
        raise ValueError("deadlines must be in the future, submissions closing before voting")


def entry_job(challenge: Challenge, entry_id: int, *, user_id: int, content_sha: str, strength: float | None) -> NewJob:
    """The stylization job of an entry: the challenge's style and settings, the member's strength, idempotent on
    the entry. The bot posts the entry itself (Vote button, author), so the job's delivery target is `none`."""
    params = dict(challenge.params)
    if strength is not None:
        params["strength"] = strength
    return NewJob(
        user_id=user_id,
        content_sha=content_sha,
        style_shas=(challenge.style_sha,),
        params=params,
        guild_id=challenge.guild_id,
        channel_id=challenge.channel_id,
        target=DeliveryTarget(kind=TargetKind.NONE, channel_id=challenge.post_channel_id),
        idempotency_key=f"challenge-entry:{entry_id}",
        kind="challenge",
    )


def check_entry_limits(challenge: Challenge, *, user_entries: int, total_entries: int) -> None:
    """Raise EntryLimitReached when one more active entry would break a limit."""
    if user_entries >= challenge.max_entries_per_user:
        raise EntryLimitReached(challenge.id, "user", challenge.max_entries_per_user)
    if challenge.max_entries is not None and total_entries >= challenge.max_entries:
        raise EntryLimitReached(challenge.id, "challenge", challenge.max_entries)


def check_submission(challenge: Challenge, now: datetime) -> None:
    phase = phase_at(challenge, now)
    if phase is not ChallengePhase.SUBMISSIONS:
        raise ChallengeClosed(challenge.id, phase, "submit an entry")


def check_vote(challenge: Challenge, entry: Entry, voter_id: int, now: datetime) -> None:
    """Raise unless `voter_id` may toggle a vote on `entry` now."""
    phase = phase_at(challenge, now)
    if phase not in (ChallengePhase.SUBMISSIONS, ChallengePhase.VOTING):
        raise ChallengeClosed(challenge.id, phase, "vote")
    if not entry.finished:
        raise ChallengeClosed(challenge.id, "withdrawn" if not entry.active else "unfinished", "vote for this entry")
    if entry.user_id == voter_id:
        raise SelfVote(entry.id)


def rank_entries(entries: Iterable[Entry]) -> list[RankedEntry]:
    """Finished entries, most votes first; ties go to the earlier submission (then the lower id)."""
    eligible = [e for e in entries if e.finished]
    eligible.sort(key=lambda e: (-e.votes, e.submitted_at, e.id))
    return [RankedEntry(rank=i, entry=e) for i, e in enumerate(eligible, start=1)]


def anonymous_voter() -> int:
    """The voter id of a forgotten member's vote in a finished challenge: negative (no Discord id is) and random (two
    forgotten votes on one entry never collide), so the count stays and nothing points back at the member."""
    return -1 - secrets.randbelow(2**62)
