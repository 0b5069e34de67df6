"""Queue policy shared by every `JobStore` implementation: clock, backoff, fair-share rank, ETA, settings checks.

Pure functions and one frozen options object, so `SqlJobStore` and `InMemoryJobStore` cannot disagree.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from jobqueue._types import EnqueueLimits, GuildSettings, JobState, NewJob, WorkerInfo
from jobqueue.errors import QueueLimitExceeded

__all__ = [
    "ACTIVE_STATES",
    "INTERACTION_TOKEN_SECONDS",
    "RETRYABLE_FROM",
    "KeptRefs",
    "StoreOptions",
    "backoff_seconds",
    "check_enqueue_limits",
    "check_guild_changes",
    "eta_seconds",
    "new_lease_token",
    "next_fair_rank",
    "scoped_workers",
    "utcnow",
]

ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
RETRYABLE_FROM = frozenset({JobState.FAILED, JobState.DEAD, JobState.CANCELLED})
STATS_WINDOW = 50  # recent jobs used for mean wait / run time and the ETA
INTERACTION_TOKEN_SECONDS = 15 * 60.0  # Discord accepts an interaction token this long; stored no longer


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StoreOptions:
    """Knobs of a store. `clock` is injectable so tests can move time instead of sleeping."""

    retry_backoff_base: float = 2.0  # seconds before the 2nd attempt; doubles each attempt
    retry_backoff_max: float = 300.0
    job_time_limit: float | None = None  # default per-job run-time limit (seconds); None = unlimited
    worker_alive_seconds: float = 60.0  # a worker that heartbeated within this is alive (ETA, stats)
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=backoff_seconds(attempts, self.retry_backoff_base, self.retry_backoff_max))


R = TypeVar("R")


@dataclass(frozen=True)
class KeptRefs(Generic[R]):
    """What other features still use in a job store, handed to it where it is opened (e.g. open challenges).

    `blobs`: blob shas that `gc` and `forget_user` must keep; `jobs`: job ids that `forget_user` must not delete.
    Each reference is a one-column SQLAlchemy select for `SqlJobStore` (run inside the store's transaction), and an
    async function returning the values for `InMemoryJobStore`.

    `forget`: what the feature does with a member's rows when `forget_user` runs (delete or anonymise them), run
    first, so that what it releases is no longer kept: `fn(tx, user_id)` inside `SqlJobStore`'s transaction, and
    `async fn(user_id)` for `InMemoryJobStore`.
    """

    blobs: tuple[R, ...] = ()
    jobs: tuple[R, ...] = ()
    forget: tuple[Callable[..., Any], ...] = ()


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt after `attempts` failed ones: base, 2·base, 4·base … capped."""
    if attempts <= 0 or base <= 0:
        return 0.0
    return float(min(cap, base * 2 ** (attempts - 1)))


def new_lease_token() -> str:
    return secrets.token_hex(16)


def next_fair_rank(head_rank: int | None, user_max_rank: int | None) -> int:
    """Start-time fair queuing: a new job starts at the current head round or after its user's last active job.

    `head_rank` is the lowest rank among queued jobs (None: nothing queued); `user_max_rank` the highest rank among
    the user's queued or running jobs (None: none). A newcomer joins the round being served; a user with ten queued
    jobs occupies ten successive rounds, so others' jobs interleave with them.
    """
    return max(head_rank or 0, (user_max_rank or 0) + 1)


def check_enqueue_limits(new: NewJob, limits: EnqueueLimits, count_active: Callable[[str, int], int]) -> None:
    """Raise `QueueLimitExceeded` when `new`'s user, then its guild (if any), already has its limit of jobs.

    `count_active(scope, ident)` counts the queued+running jobs whose `<scope>_id` is `ident` (scope "user" or
    "guild"); it is called only for the scopes that have a limit.
    """
    checks = [("user", limits.max_queued_per_user, new.user_id)]
    if new.guild_id is not None:
        checks.append(("guild", limits.max_queued_per_guild, new.guild_id))
    for scope, limit, ident in checks:
        if limit is None:
            continue
        n = count_active(scope, ident)
        if n >= limit:
            raise QueueLimitExceeded(scope, limit, n)


def eta_seconds(ahead: int, run_times: Iterable[float], workers_alive: int) -> float | None:
    """Seconds until a job with `ahead` jobs before it finishes, from recent run times; None without history."""
    times = [t for t in run_times if t >= 0]
    if not times:
        return None
    mean = sum(times) / len(times)
    return mean * (ahead // max(1, workers_alive) + 1)


def scoped_workers(workers: Iterable[WorkerInfo], visible_job_ids: set[int]) -> tuple[WorkerInfo, ...]:
    """Workers as one server's statistics show them: a job of another server that one runs is not named."""
    return tuple(
        w
        if w.current_job_id is None or w.current_job_id in visible_job_ids
        else dataclasses.replace(w, current_job_id=None)
        for w in workers
    )


_GUILD_FIELDS = {f.name for f in dataclasses.fields(GuildSettings)} - {"guild_id"}


def check_guild_changes(changes: dict[str, object]) -> dict[str, object]:
    """Validate `update_guild_settings` keyword names and normalise collection types."""
    unknown = set(changes) - _GUILD_FIELDS
    if unknown:
        raise TypeError(f"unknown guild setting(s): {', '.join(sorted(unknown))}")
    out = dict(changes)
    if "allowed_presets" in out and out["allowed_presets"] is not None:
        out["allowed_presets"] = tuple(out["allowed_presets"])  # type: ignore[arg-type]
    if "blocked_users" in out:
        out["blocked_users"] = frozenset(int(u) for u in (out["blocked_users"] or ()))  # type: ignore[union-attr]
    return out
