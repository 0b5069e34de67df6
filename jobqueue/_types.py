"""Value objects of the job queue: frozen rows that the store returns and callers pass around.

These are the contract between `jobqueue` and its users (bot, delivery, the engine worker, challenges):
plain data, no SQL, no torch, no discord.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "TERMINAL_STATES",
    "DeliveryTarget",
    "EnqueueLimits",
    "GuildSettings",
    "Job",
    "JobProgress",
    "JobState",
    "NewJob",
    "Position",
    "PreviewState",
    "QueueStats",
    "TargetKind",
    "WorkerInfo",
    "queued_job",
]


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.DEAD})


class TargetKind(enum.StrEnum):
    """Where a job's progress and result go."""

    INTERACTION = "interaction"  # edit the interaction's status follow-up; channel message once the token died
    CHANNEL = "channel"  # a plain channel message (mentions the user)
    THREAD = "thread"  # a message in a thread (e.g. a challenge gallery)
    NONE = "none"  # CLI jobs: nothing is posted


@dataclass(frozen=True)
class DeliveryTarget:
    kind: TargetKind = TargetKind.NONE
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_token: str | None = field(default=None, repr=False)
    token_created_at: datetime | None = None  # interaction tokens die 15 minutes after this
    channel_id: int | None = None
    thread_id: int | None = None
    status_message_id: int | None = None  # the public message that shows queue position / progress / result


@dataclass(frozen=True)
class NewJob:
    """What a producer (bot, CLI, challenge) asks for. `params` is `engine.StyleParams.to_dict()` (plain JSON)."""

    user_id: int
    content_sha: str
    style_shas: tuple[str, ...]
    params: dict[str, Any]
    guild_id: int | None = None
    channel_id: int | None = None
    target: DeliveryTarget = DeliveryTarget()
    idempotency_key: str | None = None  # e.g. "discord:<interaction id>": a retried enqueue returns the same job
    priority: int = 0  # higher runs first among a user's fair share
    max_attempts: int = 3
    kind: str = "stylize"  # "stylize" | "challenge" | ...
    batch_key: str | None = None  # jobs with equal keys may be optimised as one batch (e.g. "fast:512")
    parent_job_id: int | None = None  # re-roll / stronger / weaker of this job
    time_limit_seconds: float | None = None  # per-job run-time limit; None = the store's default


@dataclass(frozen=True)
class JobProgress:
    step: int
    total: int
    loss: float | None = None
    preview_sha: str | None = None  # small preview image blob
    updated_at: datetime | None = None

    @property
    def percent(self) -> int:
        return int(100 * self.step / self.total) if self.total else 0


class PreviewState(enum.StrEnum):
    """Where a job's instant preview stands (`Job.preview_state`; None: not made yet).

    The preview lane (`jobqueue.PreviewLane`) makes it (`READY`, or `NONE` when the job gets none: previews off, a
    preset that needs none, no message to show it on, or the picture could not be made); the delivery loop that
    edits the job's status message shows it once (`SHOWN`).
    """

    READY = "ready"
    SHOWN = "shown"
    NONE = "none"


@dataclass(frozen=True)
class Job:
    id: int
    state: JobState
    user_id: int
    guild_id: int | None
    channel_id: int | None
    kind: str
    params: dict[str, Any]
    content_sha: str
    style_shas: tuple[str, ...]
    target: DeliveryTarget
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 3
    idempotency_key: str | None = None
    batch_key: str | None = None
    parent_job_id: int | None = None
    lease_owner: str | None = None
    lease_token: str | None = field(default=None, repr=False)  # set on claimed jobs; guards every worker write
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    progress: JobProgress | None = None
    cancel_requested: bool = False
    error: str | None = None
    result_sha: str | None = None
    result_meta: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    delivered_at: datetime | None = None
    not_before: datetime | None = None  # retry backoff: not claimable before this
    time_limit_seconds: float | None = None  # the reaper fails a running job after this many seconds
    cancelled_by: int | None = None  # user id that asked for the cancel (None: system or unknown)
    # attempts lost to a crash of the whole claim (its lease expired, or the batch handler raised): such a job is
    # never batched again, so a poison job cannot take innocent batch-mates down with it a second time
    crashes: int = 0
    preview_sha: str | None = None  # the instant preview picture (a blob), shown while the job waits and runs
    preview_state: PreviewState | None = None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


def queued_job(job_id: int, new: NewJob, *, params: dict[str, Any], created_at: datetime | None) -> Job:
    """The `Job` that enqueueing `new` just created as `job_id` (every store builds it here, so they cannot drift).

    `params` is how the store keeps `new.params` (a copy, or what its JSON column reads back as).
    """
    return Job(
        id=job_id,
        state=JobState.QUEUED,
        user_id=new.user_id,
        guild_id=new.guild_id,
        channel_id=new.channel_id,
        kind=new.kind,
        params=params,
        content_sha=new.content_sha,
        style_shas=tuple(new.style_shas),
        target=new.target,
        priority=new.priority,
        max_attempts=new.max_attempts,
        idempotency_key=new.idempotency_key,
        batch_key=new.batch_key,
        parent_job_id=new.parent_job_id,
        created_at=created_at,
        time_limit_seconds=new.time_limit_seconds,
    )


@dataclass(frozen=True)
class EnqueueLimits:
    """Checked atomically with the insert; `None` = unlimited."""

    max_queued_per_user: int | None = None
    max_queued_per_guild: int | None = None


@dataclass(frozen=True)
class Position:
    position: int  # 1 = next to run
    ahead: int  # queued jobs that run before this one
    eta_seconds: float | None  # None when there is no run-time history yet
    workers_alive: int = 0


@dataclass(frozen=True)
class WorkerInfo:
    worker_id: str
    hostname: str
    pid: int
    device: str | None
    started_at: datetime | None
    last_heartbeat: datetime | None
    current_job_id: int | None = None
    alive: bool = True


@dataclass(frozen=True)
class QueueStats:
    counts: dict[JobState, int]
    running: tuple[Job, ...]
    workers: tuple[WorkerInfo, ...]
    mean_wait_seconds: float | None
    mean_run_seconds: float | None
    paused: bool
    paused_guilds: tuple[int, ...] = ()


@dataclass(frozen=True)
class GuildSettings:
    """Per-server policy set by its admins. `None` = use the bot-wide default from settings."""

    guild_id: int
    max_queued_per_user: int | None = None
    max_queued_per_guild: int | None = None
    cooldown_seconds: float | None = None
    max_size: int | None = None
    max_steps: int | None = None
    allowed_presets: tuple[str, ...] | None = None
    blocked_users: frozenset[int] = frozenset()
    paused: bool = False
    organiser_role_id: int | None = None  # challenges: who may organise besides Manage Server
    previews: bool | None = None  # instant previews on status messages (None: on)
