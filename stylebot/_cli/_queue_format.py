"""Text and JSON renderings of jobs and queue stats for `stylebot queue` (no database access here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["job_json", "job_line", "stats_json", "stats_text"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _progress(job: Any) -> dict[str, Any] | None:
    p = job.progress
    if p is None:
        return None
    return {"step": p.step, "total": p.total, "percent": p.percent, "loss": p.loss, "updated_at": _iso(p.updated_at)}


def job_json(job: Any, position: Any = None) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state.value,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "error": job.error,
        "progress": _progress(job),
        "cancel_requested": job.cancel_requested,
        "user_id": job.user_id,
        "guild_id": job.guild_id,
        "kind": job.kind,
        "params": job.params,
        "content_sha": job.content_sha,
        "style_shas": list(job.style_shas),
        "result_sha": job.result_sha,
        "result_meta": job.result_meta,
        "lease_owner": job.lease_owner,
        "position": position.position if position else None,
        "eta_seconds": position.eta_seconds if position else None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "delivered_at": _iso(job.delivered_at),
    }


def job_line(job: Any) -> str:
    prog = f"{job.progress.percent:3d}%" if job.progress else "   -"
    err = f"  {job.error[:60]}" if job.error else ""
    return (
        f"{job.id:>7}  {job.state.value:<9}  user {job.user_id:<20}  attempt {job.attempts}/{job.max_attempts}"
        f"  {prog}  {_iso(job.created_at) or '-'}{err}"
    )


def stats_json(stats: Any) -> dict[str, Any]:
    return {
        "counts": {state.value: n for state, n in stats.counts.items()},
        "running": [job_json(j) for j in stats.running],
        "workers": [
            {
                "worker_id": w.worker_id,
                "hostname": w.hostname,
                "pid": w.pid,
                "device": w.device,
                "last_heartbeat": _iso(w.last_heartbeat),
                "current_job_id": w.current_job_id,
            }
            for w in stats.workers
        ],
        "mean_wait_seconds": stats.mean_wait_seconds,
        "mean_run_seconds": stats.mean_run_seconds,
        "paused": stats.paused,
        "paused_guilds": list(stats.paused_guilds),
    }


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def stats_text(stats: Any) -> str:
    lines = ["  ".join(f"{state.value} {n}" for state, n in stats.counts.items())]
    lines.append(f"mean wait {_secs(stats.mean_wait_seconds)}, mean run {_secs(stats.mean_run_seconds)}")
    if stats.paused or stats.paused_guilds:
        guilds = ", ".join(str(g) for g in stats.paused_guilds)
        lines.append("PAUSED" if stats.paused else f"paused servers: {guilds}")
    for j in stats.running:
        prog = f"{j.progress.step}/{j.progress.total}" if j.progress else "starting"
        lines.append(f"running {j.id} (user {j.user_id}) {prog} on {j.lease_owner}")
    lines.extend(
        f"worker {w.worker_id} on {w.hostname} ({w.device or '?'}), job {w.current_job_id}" for w in stats.workers
    )
    return "\n".join(lines)
