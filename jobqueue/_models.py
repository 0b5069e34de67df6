"""Typed SQLAlchemy 2.0 models: the schema that Alembic migrates and `SqlJobStore` queries.

Conventions chosen for speed and for identical behaviour on SQLite and PostgreSQL:
- timestamps are UTC epoch seconds (`Double`), compared and ordered as numbers on both databases, converted to aware
  `datetime` at the edge (`jobqueue._rows`);
- JSON payloads (`params`, `style_shas`, `result_meta`, …) are `Text` holding JSON, encoded/decoded in Python;
- ids from Discord are `BigInteger`; the job id is a 64-bit identity on PostgreSQL and the rowid on SQLite.

Features (challenges, …) add their own tables to `Base.metadata` in their own modules and Alembic revisions, listed
in `jobqueue._migrate.target_metadata`; what their rows keep alive (blobs, jobs) they hand to the job store as a
`KeptRefs` where it is opened (`open_store(url, kept=challenge_kept_refs())`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    column,
    desc,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["AdvisoryLease", "Base", "Blob", "GuildSettingsRow", "Job", "Meta", "QueueControl", "Worker"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JobId = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY = rowid (autoincrement)
QUEUED = text("state = 'queued'")
RUNNING = text("state = 'running'")
ACTIVE = text("state IN ('queued', 'running')")
UNDELIVERED = text("delivered_at IS NULL AND target_kind <> 'none'")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Blob(Base):
    """Content-addressed image bytes (sha256), shared by every job that uses them."""

    __tablename__ = "blobs"

    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(JobId, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)  # where the request was made (Job.channel_id)
    params: Mapped[str] = mapped_column(Text)  # JSON object (engine.StyleParams.to_dict())
    content_sha: Mapped[str] = mapped_column(String(64))
    style_shas: Mapped[str] = mapped_column(Text)  # JSON list of sha256 hex
    # delivery target
    target_kind: Mapped[str] = mapped_column(String(16))
    application_id: Mapped[int | None] = mapped_column(BigInteger)
    interaction_id: Mapped[int | None] = mapped_column(BigInteger)
    interaction_token: Mapped[str | None] = mapped_column(Text)
    token_created_at: Mapped[float | None] = mapped_column(Double)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    # where delivery posts (DeliveryTarget.channel_id); may differ from channel_id, e.g. a challenge's gallery
    target_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # scheduling
    priority: Mapped[int] = mapped_column(Integer)
    fair_rank: Mapped[int] = mapped_column(BigInteger)  # start-time fair queuing round (jobqueue._policy)
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # attempts lost to a crash of the whole claim (lease expired, batch handler raised): such a job runs alone
    crashes: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    batch_key: Mapped[str | None] = mapped_column(String(100))
    parent_job_id: Mapped[int | None] = mapped_column(JobId, ForeignKey("jobs.id", ondelete="SET NULL"))
    not_before: Mapped[float | None] = mapped_column(Double)
    time_limit_seconds: Mapped[float | None] = mapped_column(Double)
    # lease
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[float | None] = mapped_column(Double)
    deadline_at: Mapped[float | None] = mapped_column(Double)  # started_at + time limit
    heartbeat_at: Mapped[float | None] = mapped_column(Double)
    # progress
    progress_step: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    progress_loss: Mapped[float | None] = mapped_column(Double)
    progress_preview_sha: Mapped[str | None] = mapped_column(String(64))
    progress_updated_at: Mapped[float | None] = mapped_column(Double)
    # outcome
    cancel_requested: Mapped[bool] = mapped_column(Boolean)
    cancelled_by: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    result_sha: Mapped[str | None] = mapped_column(String(64))
    result_meta: Mapped[str] = mapped_column(Text)  # JSON object
    created_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double)
    finished_at: Mapped[float | None] = mapped_column(Double)
    delivered_at: Mapped[float | None] = mapped_column(Double)
    # instant preview (jobqueue.PreviewLane): the picture's blob and NULL (to make) | ready | shown | none
    preview_sha: Mapped[str | None] = mapped_column(String(64))
    preview_state: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        # Every index costs page writes on each state change (3 commits per job), so there are only these, and they
        # are partial where the queries allow. No index may lead with `state` (see jobqueue/_sql.py).
        # claim: the head of the fair queue in one index range scan
        # (exactly the claim's ORDER BY, so even a generic prepared plan is a plain index range scan, no sort)
        Index(
            "ix_jobs_claim_order",
            "fair_rank",
            desc(column("priority")),
            "id",
            sqlite_where=QUEUED,
            postgresql_where=QUEUED,
        ),
        # enqueue: a user's last active round, limits, cooldowns
        Index("ix_jobs_user_active", "user_id", "fair_rank", sqlite_where=ACTIVE, postgresql_where=ACTIVE),
        Index("ix_jobs_guild_active", "guild_id", sqlite_where=ACTIVE, postgresql_where=ACTIVE),
        Index("ix_jobs_user_created", "user_id", "created_at"),
        # reaper: expired leases and time limits of running jobs
        # (few rows: time limits are checked on the same running rows)
        Index("ix_jobs_running_lease", "lease_expires_at", sqlite_where=RUNNING, postgresql_where=RUNNING),
        Index("ix_jobs_finished", "finished_at"),  # recent run times (ETA, stats); no index may lead with `state`
        # delivery loop: terminal jobs whose result or failure notice has not reached Discord yet
        # preview lane and delivery: active jobs by preview state (small: only queued and running rows)
        Index("ix_jobs_preview", "preview_state", "id", sqlite_where=ACTIVE, postgresql_where=ACTIVE),
        Index("ix_jobs_undelivered", "finished_at", sqlite_where=UNDELIVERED, postgresql_where=UNDELIVERED),
    )


class Worker(Base):
    __tablename__ = "workers"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    device: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[float] = mapped_column(Double)
    last_heartbeat: Mapped[float] = mapped_column(Double)
    current_job_id: Mapped[int | None] = mapped_column(BigInteger)


class GuildSettingsRow(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    max_queued_per_user: Mapped[int | None] = mapped_column(Integer)
    max_queued_per_guild: Mapped[int | None] = mapped_column(Integer)
    cooldown_seconds: Mapped[float | None] = mapped_column(Double)
    max_size: Mapped[int | None] = mapped_column(Integer)
    max_steps: Mapped[int | None] = mapped_column(Integer)
    allowed_presets: Mapped[str | None] = mapped_column(Text)  # JSON list or NULL (= all)
    blocked_users: Mapped[str] = mapped_column(Text)  # JSON list of user ids
    paused: Mapped[bool] = mapped_column(Boolean)
    organiser_role_id: Mapped[int | None] = mapped_column(BigInteger)
    previews: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[float] = mapped_column(Double)


class QueueControl(Base):
    """Queue-wide switches; one row per name (`global`)."""

    __tablename__ = "queue_control"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[float] = mapped_column(Double)


class Meta(Base):
    """Small key/value pairs (e.g. the bot's command-sync hash)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AdvisoryLease(Base):
    """A named role that one process at a time holds until `expires_at` (e.g. `delivery-editor`), renewed by its
    holder and taken over by anyone once it expired (`JobStore.hold_lease`)."""

    __tablename__ = "advisory_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[float] = mapped_column(Double)
