"""`stylebot engine`: the engine worker process — claims jobs, stylizes them, stores the results.

    stylebot engine [--db URL] [--lease-seconds S] [--poll-interval S] [--burst] [--device D] [--weights W]
                    [--batch-size N] [--worker-id ID]

This module is the only place that reads settings for the worker: it checks that the VGG19 weights load (an
engine without them exits 2 with the reason), migrates the database (`jobqueue.open_store(url, migrate=True)`),
builds the engine handlers (`stylebot.handlers`) and runs a `jobqueue.Worker`. SIGTERM/SIGINT stop claiming
and give the running job `--shutdown-timeout` seconds before it is released back to the queue; a second signal
releases it at once.

Other long-running parts of the engine process run beside the worker: `build_services` returns a list of `Service`
factories — `Callable[[], Awaitable[None]]` — that run in the same `asyncio.TaskGroup` as the worker. Today these are
the delivery loop (`delivery.run_delivery`: progress and results to Discord; it returns at once without DISCORD_TOKEN),
the preview lane (`jobqueue.PreviewLane` with `stylebot.handlers.make_previewer`: each Gatys job's instant picture on
its status message while it waits or runs; off with STYLEBOT_PREVIEWS=false, or when the instant model cannot be loaded,
which is logged once at start), retention (`stylebot.retention`: an hourly prune of images and results older than
STYLEBOT_RETENTION_DAYS) and the ops server (`/healthz`, `/metrics` on STYLEBOT_ENGINE_METRICS_PORT, 0 = off; a port
that cannot be bound is logged and the engine works on without it). They are cancelled together when the worker stops
(signal, or the queue drained in `--burst` mode); a service that crashes stops the worker (its job is released) and the
process exits with status 1. To add one, append its factory in `build_services`.

After STYLEBOT_UNHEALTHY_AFTER claims in a row crashed as a whole (jobqueue._health) the worker stops claiming:
/healthz answers 503 with the reason, `stylebot_engine_unhealthy` is 1, and the process (kept up for the operator to
look at) exits 1 when stopped or, with --burst, at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from stylebot._cli._args import bounded_float
from stylebot.errors import UsageError
from stylebot.settings import Settings

__all__ = ["Service", "build_services", "engine_health", "register", "serve"]

logger = logging.getLogger(__name__)

MIN_PROGRESS_INTERVAL = 1.0  # seconds; faster edits of one message would run into Discord's rate limits

Service = Callable[[], Awaitable[None]]


_positive = bounded_float(0, inclusive=False)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("engine", help="run an engine worker (claims jobs, stylizes, stores results)")
    p.add_argument("--db", metavar="URL", help="database URL (default: STYLEBOT_DATABASE_URL or the data dir's SQLite)")
    p.add_argument("--lease-seconds", type=_positive, help="lease length (default STYLEBOT_LEASE_SECONDS)")
    p.add_argument("--poll-interval", type=_positive, help="idle poll interval (default STYLEBOT_POLL_INTERVAL)")
    p.add_argument("--burst", action="store_true", help="drain the queue, then exit once nothing is queued or running")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1, mps (default STYLEBOT_DEVICE)")
    p.add_argument("--weights", help="imagenet, random or a path (default STYLEBOT_WEIGHTS)")
    p.add_argument(
        "--batch-size", type=int, help="compatible jobs per batch (default STYLEBOT_BATCH_SIZE on GPU, 1 on CPU)"
    )
    p.add_argument("--worker-id", help="name in `queue stats` (default host-pid-random)")
    p.add_argument("--shutdown-timeout", type=float, default=30.0, help="seconds a running job may finish on SIGTERM")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.replace(
        **{
            k: v
            for k, v in {
                "database_url": args.db,
                "lease_seconds": args.lease_seconds,
                "poll_interval": args.poll_interval,
                "device": args.device,
                "weights": args.weights,
            }.items()
            if v is not None
        }
    )
    if settings.progress_interval < MIN_PROGRESS_INTERVAL:
        raise UsageError(
            f"STYLEBOT_PROGRESS_INTERVAL must be at least {MIN_PROGRESS_INTERVAL:g} s (Discord rate-limits message "
            f"edits), got {settings.progress_interval:g}"
        )
    return asyncio.run(_main(args, settings))


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    import engine
    import jobqueue
    from engine import load_weights
    from stylebot.handlers import EngineConfig
    from stylebot.ops import EngineMetrics

    device = engine.resolve_device(settings.device)
    # Fail at start, with the reason, rather than burn every job's attempts on missing weights.
    await asyncio.to_thread(load_weights, settings.weights)
    batch_size = args.batch_size if args.batch_size is not None else (settings.batch_size if device != "cpu" else 1)
    # The worker stops a job at STYLEBOT_JOB_TIME_LIMIT itself; the store's reaper is the backstop for a job whose
    # worker keeps heartbeating but never finishes (it fails such a job a little later, so the worker goes first).
    backstop = settings.job_time_limit + 2 * settings.lease_seconds
    options = jobqueue.StoreOptions(job_time_limit=backstop)
    kept = jobqueue.style_kept_refs(jobqueue.challenge_kept_refs())  # gc keeps what challenges and styles use
    store = await jobqueue.open_store(settings.resolved_database_url, migrate=True, options=options, kept=kept)
    try:
        config = EngineConfig(
            weights=settings.weights,
            device=device,
            max_size=settings.max_size,
            instant_model=settings.instant_model_dir,
        )
        metrics = EngineMetrics()
        worker = _worker(args, settings, store, config, metrics, batch_size)
        services = build_services(store, settings, worker, metrics)
        try:
            stats = await serve(worker, services)
        except ExceptionGroup as group:
            for exc in group.exceptions:
                logger.error("engine service crashed: %s", exc, exc_info=exc)
            return 1
    finally:
        await store.close()
    sys.stdout.write(
        f"worker {worker.worker_id}: {stats.succeeded} succeeded, {stats.failed} failed, {stats.retried} retried, "
        f"{stats.cancelled} cancelled, {stats.released} released\n"
    )
    if worker.unhealthy is not None:
        logger.error("engine stopped unhealthy: %s", worker.unhealthy)
        return 1
    return 0


def _worker(
    args: argparse.Namespace, settings: Settings, store: Any, config: Any, metrics: Any, batch_size: int
) -> Any:
    """The engine's `jobqueue.Worker` over the engine handlers (`stylebot.handlers`), watched by `metrics`."""
    import jobqueue
    from stylebot.handlers import make_handlers

    handler, batch_handler = make_handlers(store, config, on_steps=metrics.steps)
    worker = jobqueue.Worker(
        store,
        handler,
        batch_handler=batch_handler if batch_size > 1 else None,
        batch_size=batch_size,
        worker_id=args.worker_id,
        lease_seconds=settings.lease_seconds,
        poll_interval=settings.poll_interval,
        burst=args.burst,
        time_limit=settings.job_time_limit,
        shutdown_timeout=args.shutdown_timeout,
        device=config.device,
        on_finished=metrics.on_finished,
        unhealthy_after=settings.unhealthy_after or None,
    )
    metrics.watch(worker)
    return worker


def build_services(store: Any, settings: Settings, worker: Any, metrics: Any = None) -> list[Service]:
    """Long-running services that share the engine process with the worker (see the module docstring)."""
    from delivery import run_delivery
    from stylebot.ops import EngineMetrics
    from stylebot.retention import run_retention

    if metrics is None:
        metrics = EngineMetrics()
        worker.on_finished = metrics.on_finished

    previews_ready = asyncio.Event()  # the preview lane wakes the delivery loop of this process

    async def delivery() -> None:
        await run_delivery(
            store,
            token=settings.discord_token,
            api_base=settings.discord_api_base,
            progress_interval=settings.progress_interval,
            worker_id=worker.worker_id,  # edits only this worker's running jobs (delivery._editors)
            wake=previews_ready,
        )

    async def retention() -> None:
        await run_retention(store, retention_days=settings.retention_days, on_pruned=metrics.pruned.inc)

    services: list[Service] = [delivery, retention]
    if settings.previews and settings.discord_token:
        services.append(_preview_service(store, settings, worker, previews_ready))
    if settings.engine_metrics_port:
        services.append(_ops_service(store, settings, worker, metrics))
    return services


def _preview_service(store: Any, settings: Settings, worker: Any, ready: asyncio.Event) -> Service:
    """The preview lane (see the module docstring); without a usable instant model it logs why and stays off."""
    import jobqueue
    from engine import InstantModelUnavailable, check_instant_model
    from stylebot.handlers import EngineConfig, make_previewer

    async def previews() -> None:
        config = EngineConfig(device=worker.device or "auto", max_size=settings.max_size,
                              instant_model=settings.instant_model_dir)  # fmt: skip
        try:  # loads the model once for the process (the instant preset's jobs share it)
            await asyncio.to_thread(check_instant_model, config.instant_model, device=config.device)
        except InstantModelUnavailable as exc:
            logger.warning("instant previews are off: %s", exc)
            return
        lane = jobqueue.PreviewLane(
            store, make_previewer(store, config), holder=worker.worker_id, share=settings.preview_share,
            poll_interval=min(settings.poll_interval, 0.5), on_ready=lambda _job_id: ready.set(),
        )  # fmt: skip
        await lane.run()

    return previews


def engine_health(store: Any, worker: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The engine's health check: the database answers and the worker still claims (else 503 with the reason)."""

    async def health() -> dict[str, Any]:
        await store.is_paused()  # the database answers
        body = {"status": "ok", "worker": worker.worker_id, "device": worker.device, "jobs": worker.stats.claimed}
        if worker.unhealthy is not None:  # claims kept crashing as a whole: it stopped claiming (jobqueue._health)
            body.update(status="unhealthy", reason=worker.unhealthy)
        return body

    return health


def _ops_service(store: Any, settings: Settings, worker: Any, metrics: Any) -> Service:
    """`/healthz` (`engine_health`) and `/metrics` (`metrics`, plus the shared queue's gauges) for this engine."""
    from stylebot.ops import OpsServer

    ops = OpsServer(
        role="engine",
        host=settings.metrics_host,
        port=settings.engine_metrics_port,
        health=engine_health(store, worker),
        stats=store.stats,
        registry=metrics.registry,
    )

    async def serve_ops() -> None:
        try:
            await ops.start()
        except OSError as exc:
            logger.warning("cannot serve /metrics on %s:%d (%s); running without", ops.host, ops.port, exc.strerror)
            return
        try:
            await asyncio.Event().wait()  # until the worker stops and cancels us
        finally:
            await ops.stop()

    return serve_ops


async def serve(worker: Any, services: list[Service]) -> Any:
    """Run the worker and `services` together until the worker stops; SIGTERM/SIGINT stop the worker gracefully."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal(sig: signal.Signals) -> None:
        logger.info("received %s: stopping (a second signal releases the running job at once)", sig.name)
        worker.stop(now=worker_stopping[0])
        worker_stopping[0] = True

    worker_stopping = [False]
    for sig in signals:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(service(), name=f"service-{n}") for n, service in enumerate(services)]
            stats = await worker.run()
            for task in tasks:
                task.cancel()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return stats
