"""Errors of community challenges (under `JobQueueError`); each carries the ids involved.

    JobQueueError
    └── ChallengeError
        ├── ChallengeNotFound(challenge_id | channel_id)
        ├── ChallengeAlreadyOpen(channel_id, challenge_id)
        ├── ChallengeClosed(challenge_id, phase, action)
        ├── EntryLimitReached(challenge_id, scope, limit)
        ├── EntryNotFound(entry_id)
        ├── NotEntryOwner(entry_id, user_id)
        └── SelfVote(entry_id)

The bot's error handler owns the member-facing text; these messages are for logs and the CLI.
"""

from __future__ import annotations

from jobqueue.errors import JobQueueError

__all__ = [
    "ChallengeAlreadyOpen",
    "ChallengeClosed",
    "ChallengeError",
    "ChallengeNotFound",
    "EntryLimitReached",
    "EntryNotFound",
    "NotEntryOwner",
    "SelfVote",
]


class ChallengeError(JobQueueError):
    """The challenge action failed."""


class ChallengeNotFound(ChallengeError):
    """No such challenge."""

    def __init__(self, challenge_id: int | None = None, *, channel_id: int | None = None) -> None:
        self.challenge_id = challenge_id
        self.channel_id = channel_id
        where = f"challenge {challenge_id}" if challenge_id is not None else f"open challenge in channel {channel_id}"
        super().__init__(f"no {where}")


class ChallengeAlreadyOpen(ChallengeError):
    """This channel already has an open challenge."""

    def __init__(self, channel_id: int, challenge_id: int | None) -> None:
        self.channel_id = channel_id
        self.challenge_id = challenge_id
        super().__init__(f"channel {channel_id} already has open challenge {challenge_id}")


class ChallengeClosed(ChallengeError):
    """The challenge is not in a phase that allows this action."""

    def __init__(self, challenge_id: int, phase: str, action: str) -> None:
        self.challenge_id = challenge_id
        self.phase = str(phase)
        self.action = action
        super().__init__(f"challenge {challenge_id}: cannot {action} while it is {self.phase}")


class EntryLimitReached(ChallengeError):
    """Too many entries."""

    def __init__(self, challenge_id: int, scope: str, limit: int) -> None:
        self.challenge_id = challenge_id
        self.scope = scope  # "user" (entries per member) or "challenge" (entries in total)
        self.limit = limit
        super().__init__(f"challenge {challenge_id}: {scope} entry limit of {limit} reached")


class EntryNotFound(ChallengeError):
    """No such entry."""

    def __init__(self, entry_id: int | None, *, job_id: int | None = None) -> None:
        self.entry_id = entry_id
        self.job_id = job_id
        what = f"entry {entry_id}" if entry_id is not None else f"entry for job {job_id}"
        super().__init__(f"no {what}")


class NotEntryOwner(ChallengeError):
    """Only the author can do this to an entry."""

    def __init__(self, entry_id: int, user_id: int) -> None:
        self.entry_id = entry_id
        self.user_id = user_id
        super().__init__(f"entry {entry_id} does not belong to user {user_id}")


class SelfVote(ChallengeError):
    """Members cannot vote for their own entry."""

    def __init__(self, entry_id: int) -> None:
        self.entry_id = entry_id
        super().__init__(f"entry {entry_id}: its author cannot vote for it")
