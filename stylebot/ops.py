"""Operations endpoints for every long-running process: `/healthz` and Prometheus `/metrics`.

Each process (the bot, each engine) runs one `OpsServer` on its own local port (settings
`STYLEBOT_BOT_METRICS_PORT` / `STYLEBOT_ENGINE_METRICS_PORT`; 0 turns it off). Queue gauges are refreshed from
`JobStore.stats()` at scrape time, so every process reports the shared queue the same way; process-local counters
(jobs run, engine iterations, interactions) are updated by the entry points through the small metric classes below.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from jobqueue import JobState, QueueStats

__all__ = ["BotMetrics", "EngineMetrics", "OpsServer", "QueueMetrics"]

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
_DURATION_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200)


class QueueMetrics:
    """Gauges describing the shared queue, filled from `QueueStats`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Gauge("stylebot_queue_jobs", "Jobs in the queue per state", ["state"], registry=registry)
        self.workers_alive = Gauge(
            "stylebot_workers_alive", "Engine workers with a recent heartbeat", registry=registry
        )
        self.worker_heartbeat = Gauge(
            "stylebot_worker_last_heartbeat_timestamp_seconds",
            "Unix time of each live worker's last heartbeat",
            ["worker"],
            registry=registry,
        )
        self.mean_wait = Gauge("stylebot_queue_mean_wait_seconds", "Mean wait of recent jobs", registry=registry)
        self.mean_run = Gauge("stylebot_queue_mean_run_seconds", "Mean run time of recent jobs", registry=registry)
        self.paused = Gauge("stylebot_queue_paused", "1 when the whole queue is paused", registry=registry)

    def update(self, stats: QueueStats) -> None:
        for state in JobState:
            self.jobs.labels(state=state.value).set(stats.counts.get(state, 0))
        self.workers_alive.set(sum(1 for w in stats.workers if w.alive))
        self.worker_heartbeat.clear()
        for worker in stats.workers:
            if worker.last_heartbeat is not None:
                self.worker_heartbeat.labels(worker=worker.worker_id).set(worker.last_heartbeat.timestamp())
        self.mean_wait.set(stats.mean_wait_seconds or 0.0)
        self.mean_run.set(stats.mean_run_seconds or 0.0)
        self.paused.set(1 if stats.paused else 0)


class EngineMetrics:
    """Counters of one engine process. `on_finished` and `steps` plug straight into the worker and the handlers."""

    FAILURE_OUTCOMES = frozenset({"failed", "retried", "lost"})

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.finished = Counter(
            "stylebot_jobs_finished", "Jobs this engine finished, per outcome", ["state"], registry=self.registry
        )
        self.duration = Histogram(
            "stylebot_job_duration_seconds",
            "Run time of jobs on this engine (every outcome)",
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.failures = Counter(
            "stylebot_job_failures",
            "Failed job attempts: retried (runs again), failed (permanent or out of attempts), lost (lease lost)",
            ["kind"],
            registry=self.registry,
        )
        self.iterations = Counter(
            "stylebot_engine_iterations",
            "Optimisation steps run, per job (rate() = iterations per second)",
            registry=self.registry,
        )
        self.pruned = Counter(
            "stylebot_retention_pruned", "Stored images/results deleted by retention", registry=self.registry
        )
        self.unhealthy = Gauge(
            "stylebot_engine_unhealthy",
            "1 once this engine stopped claiming because its claims kept crashing as a whole (see /healthz)",
            registry=self.registry,
        )

    def watch(self, worker: Any) -> None:
        """Read the worker's health (`jobqueue.Worker.unhealthy`) at every scrape."""
        self.unhealthy.set_function(lambda: 0.0 if worker.unhealthy is None else 1.0)

    def job_finished(self, state: str, seconds: float) -> None:
        self.finished.labels(state=state).inc()
        self.duration.observe(seconds)
        if state in self.FAILURE_OUTCOMES:
            self.failures.labels(kind=state).inc()

    def on_finished(self, job: object, outcome: str, seconds: float) -> None:
        """`jobqueue.Worker(on_finished=...)`."""
        self.job_finished(outcome, seconds)

    def steps(self, n: int) -> None:
        """Optimisation steps done since the last report (the engine handlers' `on_steps`)."""
        if n > 0:
            self.iterations.inc(n)


class BotMetrics:
    """Counters of the bot process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.interactions = Counter(
            "stylebot_interactions", "Application commands and buttons received", ["command"], registry=registry
        )
        self.rejections = Counter("stylebot_rejections", "Requests refused, per reason", ["reason"], registry=registry)
        self.enqueued = Counter("stylebot_jobs_enqueued", "Jobs the bot put in the queue", registry=registry)


class OpsServer:
    """A tiny aiohttp app with `/healthz` (200/503 JSON) and `/metrics` (Prometheus text format)."""

    def __init__(
        self,
        *,
        role: str,
        host: str,
        port: int,
        health: HealthCheck | None = None,
        stats: Callable[[], Awaitable[QueueStats]] | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.role = role
        self.host = host
        self.port = port
        self.registry = registry or CollectorRegistry()
        self.queue = QueueMetrics(self.registry)
        self._health = health
        self._stats = stats
        self._runner: web.AppRunner | None = None
        self._started = time.time()

    async def start(self) -> int:
        """Bind and serve; returns the bound port (useful with port 0). Port 0 in settings means "off": skip start."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1] if sockets else self.port
        logger.info("%s ops endpoints on http://%s:%d/healthz and /metrics", self.role, self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {"role": self.role, "uptime_seconds": round(time.time() - self._started, 1)}
        try:
            if self._health is not None:
                body.update(await asyncio.wait_for(self._health(), timeout=5))
        except Exception as exc:  # a failing check is the answer, not a crash of the endpoint
            logger.warning("health check failed: %s", type(exc).__name__)
            body.update(status="unhealthy", error=type(exc).__name__)
            return web.json_response(body, status=503)
        body.setdefault("status", "ok")
        return web.json_response(body, status=200 if body["status"] == "ok" else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        if self._stats is not None:
            try:
                self.queue.update(await asyncio.wait_for(self._stats(), timeout=5))
            except Exception as exc:  # stale gauges beat a failed scrape; the health check reports the outage
                logger.warning("queue stats for metrics failed: %s", type(exc).__name__)
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
