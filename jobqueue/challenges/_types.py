"""Value objects of community style challenges: frozen rows that `ChallengeStore` returns (no SQL, no discord).

A challenge goes through phases in time (see `jobqueue.challenges.rules.phase_at`):

    SUBMISSIONS ──(submissions_close_at)──► VOTING ──(voting_close_at)──► CLOSING ──(bot announces)──► ENDED
         └──────────────── /challenge cancel ─────────────────────────────────────────────────────► CANCELLED

Voting is open from the first posted entry until `voting_close_at`; submissions only until `submissions_close_at`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobqueue._types import JobState

__all__ = [
    "Challenge",
    "ChallengeEvent",
    "ChallengePhase",
    "ChallengeState",
    "DueEvent",
    "Entry",
    "EntryState",
    "NewChallenge",
    "RankedEntry",
    "VoteResult",
]


class ChallengeState(enum.StrEnum):
    """What is stored; the phase is derived from it and the clock."""

    OPEN = "open"
    ENDED = "ended"
    CANCELLED = "cancelled"


class ChallengePhase(enum.StrEnum):
    SUBMISSIONS = "submissions"  # members submit and vote
    VOTING = "voting"  # submissions closed; voting still open
    CLOSING = "closing"  # voting time is over; the bot has not announced the winners yet (votes are refused)
    ENDED = "ended"
    CANCELLED = "cancelled"


class ChallengeEvent(enum.StrEnum):
    """The two deadlines the bot schedules for each open challenge."""

    SUBMISSIONS_CLOSED = "submissions_closed"
    VOTING_CLOSED = "voting_closed"


class EntryState(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class NewChallenge:
    """What an organiser asks for. `params` is `engine.StyleParams.to_dict()` without the strength a member picks."""

    guild_id: int
    channel_id: int
    organiser_id: int
    title: str
    description: str
    style_sha: str
    params: dict[str, Any]
    submissions_close_at: datetime
    voting_close_at: datetime
    max_entries_per_user: int = 1
    max_entries: int | None = None  # cap on active entries in the whole challenge; None = unlimited


@dataclass(frozen=True)
class Challenge:
    id: int
    guild_id: int
    channel_id: int
    organiser_id: int
    title: str
    description: str
    style_sha: str
    params: dict[str, Any]
    state: ChallengeState
    created_at: datetime
    submissions_close_at: datetime
    voting_close_at: datetime
    max_entries_per_user: int = 1
    max_entries: int | None = None
    gallery_channel_id: int | None = None  # the thread (or the channel itself) where entries are posted
    announcement_message_id: int | None = None
    submissions_announced_at: datetime | None = None  # "submissions are closed" was posted
    ended_at: datetime | None = None
    announced_at: datetime | None = None  # winners (or the cancellation) were posted
    ended_by: int | None = None  # member who ended or cancelled it early; None when the deadline did

    @property
    def is_open(self) -> bool:
        return self.state is ChallengeState.OPEN

    @property
    def post_channel_id(self) -> int:
        return self.gallery_channel_id or self.channel_id


@dataclass(frozen=True)
class Entry:
    """An entry with the state of its stylization job and its vote count (joined in by the store)."""

    id: int
    challenge_id: int
    user_id: int
    job_id: int | None
    content_sha: str
    state: EntryState
    submitted_at: datetime
    votes: int = 0
    job_state: JobState | None = None
    result_sha: str | None = None
    message_id: int | None = None  # the gallery post with the Vote button, once posted
    posted_at: datetime | None = None  # posted to the gallery (or its failure told)
    withdrawn_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.state is EntryState.ACTIVE

    @property
    def finished(self) -> bool:
        """Stylized and eligible to be voted on and ranked."""
        return self.active and self.job_state is JobState.SUCCEEDED and self.result_sha is not None


@dataclass(frozen=True)
class RankedEntry:
    rank: int  # 1 = first place; ties are broken by earlier submission, so ranks are unique
    entry: Entry


@dataclass(frozen=True)
class VoteResult:
    entry_id: int
    voted: bool  # True: the vote was added; False: it was taken back
    votes: int  # the entry's count after the toggle


@dataclass(frozen=True)
class DueEvent:
    challenge: Challenge
    event: ChallengeEvent
    at: datetime
