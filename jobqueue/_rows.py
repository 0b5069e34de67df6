"""Conversions between database rows and the value types: epoch seconds ↔ aware datetimes, JSON text ↔ Python."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from jobqueue._models import Job as JobRow
from jobqueue._types import DeliveryTarget, GuildSettings, Job, JobProgress, JobState, NewJob, TargetKind, WorkerInfo

__all__ = [
    "JOB_COLUMNS",
    "NEW_JOB_COLUMNS",
    "from_epoch",
    "guild_from_row",
    "guild_to_values",
    "job_from_row",
    "new_job",
    "new_job_values",
    "to_epoch",
    "worker_from_row",
]

JOB_COLUMNS: tuple[str, ...] = tuple(c.name for c in JobRow.__table__.columns)
NEW_JOB_COLUMNS: tuple[str, ...] = (
    "state",
    "kind",
    "user_id",
    "guild_id",
    "channel_id",
    "params",
    "content_sha",
    "style_shas",
    "target_kind",
    "application_id",
    "interaction_id",
    "interaction_token",
    "token_created_at",
    "thread_id",
    "target_channel_id",
    "status_message_id",
    "priority",
    "attempts",
    "max_attempts",
    "idempotency_key",
    "batch_key",
    "parent_job_id",
    "time_limit_seconds",
    "cancel_requested",
    "result_meta",
    "created_at",
)


def to_epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _json(text: str | None, default: Any) -> Any:
    return default if text is None or text == "" else json.loads(text)


def job_from_row(row: Sequence[Any]) -> Job:
    """A `Job` from a row with exactly `JOB_COLUMNS` in table order (raw DB-API tuple or SQLAlchemy Row)."""
    r = dict(zip(JOB_COLUMNS, row, strict=True))
    progress = None
    if r["progress_total"] is not None:
        progress = JobProgress(
            step=r["progress_step"] or 0,
            total=r["progress_total"],
            loss=r["progress_loss"],
            preview_sha=r["progress_preview_sha"],
            updated_at=from_epoch(r["progress_updated_at"]),
        )
    target = DeliveryTarget(
        kind=TargetKind(r["target_kind"]),
        application_id=r["application_id"],
        interaction_id=r["interaction_id"],
        interaction_token=r["interaction_token"],
        token_created_at=from_epoch(r["token_created_at"]),
        channel_id=r["target_channel_id"],
        thread_id=r["thread_id"],
        status_message_id=r["status_message_id"],
    )
    return Job(
        id=r["id"],
        state=JobState(r["state"]),
        user_id=r["user_id"],
        guild_id=r["guild_id"],
        channel_id=r["channel_id"],
        kind=r["kind"],
        params=_json(r["params"], {}),
        content_sha=r["content_sha"],
        style_shas=tuple(_json(r["style_shas"], [])),
        target=target,
        priority=r["priority"],
        attempts=r["attempts"],
        max_attempts=r["max_attempts"],
        idempotency_key=r["idempotency_key"],
        batch_key=r["batch_key"],
        parent_job_id=r["parent_job_id"],
        lease_owner=r["lease_owner"],
        lease_token=r["lease_token"],
        lease_expires_at=from_epoch(r["lease_expires_at"]),
        heartbeat_at=from_epoch(r["heartbeat_at"]),
        progress=progress,
        cancel_requested=bool(r["cancel_requested"]),
        error=r["error"],
        result_sha=r["result_sha"],
        result_meta=_json(r["result_meta"], {}),
        created_at=from_epoch(r["created_at"]),
        started_at=from_epoch(r["started_at"]),
        finished_at=from_epoch(r["finished_at"]),
        delivered_at=from_epoch(r["delivered_at"]),
        not_before=from_epoch(r["not_before"]),
        time_limit_seconds=r["time_limit_seconds"],
        cancelled_by=r["cancelled_by"],
    )


def new_job_values(new: NewJob, *, now: float) -> dict[str, Any]:
    """Column values of a freshly enqueued job (everything except `id` and `fair_rank`)."""
    t = new.target
    return {
        "state": JobState.QUEUED.value,
        "kind": new.kind,
        "user_id": new.user_id,
        "guild_id": new.guild_id,
        "channel_id": new.channel_id,
        "params": json.dumps(new.params, separators=(",", ":"), sort_keys=True),
        "content_sha": new.content_sha,
        "style_shas": json.dumps(list(new.style_shas)),
        "target_kind": TargetKind(t.kind).value,
        "application_id": t.application_id,
        "interaction_id": t.interaction_id,
        "interaction_token": t.interaction_token,
        "token_created_at": to_epoch(t.token_created_at),
        "thread_id": t.thread_id,
        "target_channel_id": t.channel_id,
        "status_message_id": t.status_message_id,
        "priority": new.priority,
        "attempts": 0,
        "max_attempts": new.max_attempts,
        "idempotency_key": new.idempotency_key,
        "batch_key": new.batch_key,
        "parent_job_id": new.parent_job_id,
        "time_limit_seconds": new.time_limit_seconds,
        "cancel_requested": False,
        "result_meta": "{}",
        "created_at": now,
    }


def new_job(job_id: int, new: NewJob, values: dict[str, Any]) -> Job:
    """The `Job` just inserted with `values` (from `new_job_values`), without reading it back."""
    return Job(
        id=job_id,
        state=JobState.QUEUED,
        user_id=new.user_id,
        guild_id=new.guild_id,
        channel_id=values["channel_id"],
        kind=new.kind,
        params=json.loads(values["params"]),
        content_sha=new.content_sha,
        style_shas=tuple(new.style_shas),
        target=new.target,
        priority=new.priority,
        max_attempts=new.max_attempts,
        idempotency_key=new.idempotency_key,
        batch_key=new.batch_key,
        parent_job_id=new.parent_job_id,
        created_at=from_epoch(values["created_at"]),
        time_limit_seconds=values["time_limit_seconds"],
    )


def guild_from_row(row: Mapping[str, Any] | None, guild_id: int) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    presets = _json(row["allowed_presets"], None)
    return GuildSettings(
        guild_id=guild_id,
        max_queued_per_user=row["max_queued_per_user"],
        max_queued_per_guild=row["max_queued_per_guild"],
        cooldown_seconds=row["cooldown_seconds"],
        max_size=row["max_size"],
        max_steps=row["max_steps"],
        allowed_presets=tuple(presets) if presets is not None else None,
        blocked_users=frozenset(_json(row["blocked_users"], [])),
        paused=bool(row["paused"]),
        organiser_role_id=row["organiser_role_id"],
    )


def guild_to_values(settings: GuildSettings, *, now: float) -> dict[str, Any]:
    presets = settings.allowed_presets
    return {
        "guild_id": settings.guild_id,
        "max_queued_per_user": settings.max_queued_per_user,
        "max_queued_per_guild": settings.max_queued_per_guild,
        "cooldown_seconds": settings.cooldown_seconds,
        "max_size": settings.max_size,
        "max_steps": settings.max_steps,
        "allowed_presets": json.dumps(list(presets)) if presets is not None else None,
        "blocked_users": json.dumps(sorted(settings.blocked_users)),
        "paused": settings.paused,
        "organiser_role_id": settings.organiser_role_id,
        "updated_at": now,
    }


def worker_from_row(row: Mapping[str, Any], *, alive: bool = True) -> WorkerInfo:
    return WorkerInfo(
        worker_id=row["worker_id"],
        hostname=row["hostname"],
        pid=row["pid"],
        device=row["device"],
        started_at=from_epoch(row["started_at"]),
        last_heartbeat=from_epoch(row["last_heartbeat"]),
        current_job_id=row["current_job_id"],
        alive=alive,
    )
