"""Community style challenges, a room of their own inside the queue: tables, rules, the store and its errors.

    jobs = await jobqueue.open_store(url, kept=challenge_kept_refs())  # gc/forget_user keep what challenges use
    challenges = SqlChallengeStore(jobs)                                 # on the job store's database
    challenge = await challenges.create(NewChallenge(...))
    entry, job = await challenges.submit_entry(challenge.id, user_id=..., content_sha=...)

- `ChallengeStore` (`_protocol`): the interface; `SqlChallengeStore` (`_store`) implements it on the job store's
  database, `testing.InMemoryChallengeStore` on dicts (one contract suite runs on both);
- `rules`: the rules as pure functions (phases, deadlines, limits, votes, ranking), shared by the stores and the bot;
- `errors`: `ChallengeError` and its subclasses (under `jobqueue.JobQueueError`);
- `_types`: the frozen value objects; `_models` the tables; `_rows` statements, row conversions and
  `challenge_kept_refs`; `_units` the SQL store's units of work (one transaction each).

Importing this package pulls in no SQLAlchemy: the SQL store is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation import lazy_exports

from jobqueue.challenges import rules
from jobqueue.challenges._protocol import ChallengeStore
from jobqueue.challenges._types import (
    Challenge,
    ChallengeEvent,
    ChallengePhase,
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
    ChallengeError,
    ChallengeNotFound,
    EntryLimitReached,
    EntryNotFound,
    NotEntryOwner,
    SelfVote,
)
from jobqueue.challenges.rules import next_event, phase_at, rank_entries

if TYPE_CHECKING:
    from jobqueue.challenges._rows import challenge_kept_refs
    from jobqueue.challenges._store import SqlChallengeStore

_LAZY = {"SqlChallengeStore": "jobqueue.challenges._store", "challenge_kept_refs": "jobqueue.challenges._rows"}

__all__ = [
    "Challenge",
    "ChallengeAlreadyOpen",
    "ChallengeClosed",
    "ChallengeError",
    "ChallengeEvent",
    "ChallengeNotFound",
    "ChallengePhase",
    "ChallengeState",
    "ChallengeStore",
    "DueEvent",
    "Entry",
    "EntryLimitReached",
    "EntryNotFound",
    "EntryState",
    "NewChallenge",
    "NotEntryOwner",
    "RankedEntry",
    "SelfVote",
    "SqlChallengeStore",
    "VoteResult",
    "challenge_kept_refs",
    "next_event",
    "phase_at",
    "rank_entries",
    "rules",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
