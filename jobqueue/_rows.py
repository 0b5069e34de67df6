"""Conversions between database rows and the value types: epoch seconds ↔ aware datetimes, JSON text ↔ Python."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from jobqueue._models import Job as JobRow
from jobqueue._types import (
    DeliveryTarget,
    GuildSettings,
    Job,
    JobProgress,
    JobState,
    NewJob,
    PreviewState,
    TargetKind,
    WorkerInfo,
    queued_job,
)

__all__ = [
    "JOB_COLUMNS",
    "NEW_JOB_COLUMNS",
    "dumps_compact",
    "from_epoch",
    "guild_from_row",
    "guild_to_values",
    "job_from_row",
    "new_job",
    "new_job_values",
    "to_epoch",
    "worker_from_row",
]

T = TypeVar("T")

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
    "crashes",
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


_I = {name: i for i, name in enumerate(JOB_COLUMNS)}
_STATES = {s.value: s for s in JobState}
_KINDS = {k.value: k for k in TargetKind}
_PREVIEWS: dict[str | None, PreviewState] = {p.value: p for p in PreviewState}
_EMPTY_JSON = {"{}": dict, "[]": list}


# the same encoders `json.dumps(obj, separators=…[, sort_keys=True])` builds on every call
dumps_compact: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":")).encode
_dumps_params: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
_dumps_list: Callable[[Any], str] = json.JSONEncoder().encode


def _frozen_maker(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """Build instances of the frozen dataclass `cls` from a dict of *every* field, skipping the generated
    `__init__` (one `object.__setattr__` per field: ~5 µs for a `Job`, on every claim and completion). The result is
    the same object `cls(**values)` gives; `cls` must have no `__post_init__` and no `__slots__`."""
    names = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__} needs its own __init__")
    new = object.__new__

    def make(values: dict[str, Any]) -> T:
        if values.keys() != names:
            raise TypeError(f"{cls.__name__} fields {sorted(names ^ values.keys())} missing or unknown")
        obj = new(cls)
        obj.__dict__.update(values)
        return obj

    return make


_make_job = _frozen_maker(Job)
_make_target = _frozen_maker(DeliveryTarget)


def _loads(text: str | None, default: Callable[[], Any]) -> Any:
    """JSON text → Python: `default()` for NULL or an empty string, a fresh `{}`/`[]` without parsing."""
    if not text:
        return default()
    empty = _EMPTY_JSON.get(text)
    return empty() if empty is not None else json.loads(text)


def _progress(r: Sequence[Any]) -> JobProgress:
    i = _I
    return JobProgress(
        step=r[i["progress_step"]] or 0,
        total=r[i["progress_total"]],
        loss=r[i["progress_loss"]],
        preview_sha=r[i["progress_preview_sha"]],
        updated_at=from_epoch(r[i["progress_updated_at"]]),
    )


def _target(r: Sequence[Any]) -> DeliveryTarget:
    i = _I
    return _make_target(
        {
            "kind": _KINDS[r[i["target_kind"]]],
            "application_id": r[i["application_id"]],
            "interaction_id": r[i["interaction_id"]],
            "interaction_token": r[i["interaction_token"]],
            "token_created_at": from_epoch(r[i["token_created_at"]]),
            "channel_id": r[i["target_channel_id"]],
            "thread_id": r[i["thread_id"]],
            "status_message_id": r[i["status_message_id"]],
        }
    )


def job_from_row(row: Sequence[Any]) -> Job:
    """A `Job` from a row with exactly `JOB_COLUMNS` in table order (raw DB-API tuple or SQLAlchemy Row).

    On the hot path (every claim and completion): plain index access, no per-row dict, JSON only when non-empty.
    """
    if len(row) != len(JOB_COLUMNS):
        raise ValueError(f"job row has {len(row)} columns, expected {len(JOB_COLUMNS)}")
    r, i = row, _I
    progress = _progress(r) if r[i["progress_total"]] is not None else None
    target = _target(r)
    return _make_job(
        {
            "id": r[i["id"]],
            "state": _STATES[r[i["state"]]],
            "user_id": r[i["user_id"]],
            "guild_id": r[i["guild_id"]],
            "channel_id": r[i["channel_id"]],
            "kind": r[i["kind"]],
            "params": _loads(r[i["params"]], dict),
            "content_sha": r[i["content_sha"]],
            "style_shas": tuple(_loads(r[i["style_shas"]], list)),
            "target": target,
            "priority": r[i["priority"]],
            "attempts": r[i["attempts"]],
            "max_attempts": r[i["max_attempts"]],
            "idempotency_key": r[i["idempotency_key"]],
            "batch_key": r[i["batch_key"]],
            "parent_job_id": r[i["parent_job_id"]],
            "lease_owner": r[i["lease_owner"]],
            "lease_token": r[i["lease_token"]],
            "lease_expires_at": from_epoch(r[i["lease_expires_at"]]),
            "heartbeat_at": from_epoch(r[i["heartbeat_at"]]),
            "progress": progress,
            "cancel_requested": bool(r[i["cancel_requested"]]),
            "error": r[i["error"]],
            "result_sha": r[i["result_sha"]],
            "result_meta": _loads(r[i["result_meta"]], dict),
            "created_at": from_epoch(r[i["created_at"]]),
            "started_at": from_epoch(r[i["started_at"]]),
            "finished_at": from_epoch(r[i["finished_at"]]),
            "delivered_at": from_epoch(r[i["delivered_at"]]),
            "not_before": from_epoch(r[i["not_before"]]),
            "time_limit_seconds": r[i["time_limit_seconds"]],
            "cancelled_by": r[i["cancelled_by"]],
            "crashes": r[i["crashes"]],
            "preview_sha": r[i["preview_sha"]],
            "preview_state": _PREVIEWS.get(r[i["preview_state"]]),
        }
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
        "params": _dumps_params(new.params),
        "content_sha": new.content_sha,
        "style_shas": _dumps_list(list(new.style_shas)),
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
        "crashes": 0,
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
    return queued_job(job_id, new, params=json.loads(values["params"]), created_at=from_epoch(values["created_at"]))


def guild_from_row(row: Mapping[str, Any] | None, guild_id: int) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    presets = _loads(row["allowed_presets"], lambda: None)
    return GuildSettings(
        guild_id=guild_id,
        max_queued_per_user=row["max_queued_per_user"],
        max_queued_per_guild=row["max_queued_per_guild"],
        cooldown_seconds=row["cooldown_seconds"],
        max_size=row["max_size"],
        max_steps=row["max_steps"],
        allowed_presets=tuple(presets) if presets is not None else None,
        blocked_users=frozenset(_loads(row["blocked_users"], list)),
        paused=bool(row["paused"]),
        organiser_role_id=row["organiser_role_id"],
        previews=row["previews"],
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
        "previews": settings.previews,
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
