"""The glue between the queue and the engine: job handlers for `jobqueue.Worker` that run `engine.jobs`.

`make_handlers(store, config)` returns `(handler, batch_handler)`; `make_previewer(store, config)` the preview lane's
`make_preview` (a job's instant preview, `engine.previews`, in a thread). They fetch a job's image blobs, run the
optimisation in a thread (`asyncio.to_thread`; the event loop keeps heartbeating meanwhile), bring progress back with
`loop.call_soon_threadsafe` into `ctx.report_progress`, pass `ctx.should_abort` in as the engine's cancel check, and
translate engine errors once, here: unusable images, bad parameters, the time limit and out-of-memory are permanent
(`PermanentError`, with the engine's one-line reason); anything else is left to the worker (retryable).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.errors import Cancelled, EngineError, WeightsUnavailable
from engine.jobs import DEFAULT_MAX_BYTES, JobInput, JobOutput, StepReport, run_style_batch, run_style_job
from jobqueue import (
    BlobNotFound,
    HandlerResult,
    Job,
    JobContext,
    JobStore,
    MakePreview,
    PermanentError,
    RetryableError,
)

__all__ = ["EngineConfig", "make_handlers", "make_previewer"]

T = TypeVar("T")


@dataclass(frozen=True)
class EngineConfig:
    """What the engine worker needs from the settings (built by `stylebot engine`)."""

    weights: str = "imagenet"
    device: str = "auto"
    max_size: int = 1024  # cap on the output's short side (STYLEBOT_MAX_SIZE); larger requests are clamped
    max_bytes: int = DEFAULT_MAX_BYTES
    instant_model: str | None = None  # the instant preset's model folder (None: the installed package's)


def make_handlers(
    store: JobStore, config: EngineConfig, *, on_steps: Callable[[int], None] | None = None
) -> tuple[Any, Any]:
    """`(handler, batch_handler)` for `jobqueue.Worker`; `on_steps(n)` hears of every n optimisation steps done."""

    async def handler(job: Job, ctx: JobContext) -> HandlerResult:
        content, styles = await _inputs(store, job)
        relay = _ProgressRelay([ctx], on_steps)

        def work() -> JobOutput:
            return run_style_job(
                content,
                styles,
                job.params,
                weights=config.weights,
                device=config.device,
                max_size=config.max_size,
                max_bytes=config.max_bytes,
                on_progress=lambda report: relay.push(0, report),
                should_cancel=ctx.should_abort,
                instant_model=config.instant_model,
            )

        out = await relay.run(work)
        return _result(out)

    return handler, _batch_handler(store, config, on_steps)


def _batch_handler(store: JobStore, config: EngineConfig, on_steps: Callable[[int], None] | None) -> Any:
    """The batch handler: compatible jobs optimised as one batch, each slot failing alone."""

    async def batch_handler(jobs: Sequence[Job], contexts: Sequence[JobContext]) -> list[HandlerResult | BaseException]:
        outcomes: list[HandlerResult | BaseException | None] = [None] * len(jobs)
        items: list[JobInput] = []
        index: list[int] = []
        for i, job in enumerate(jobs):
            try:
                content, styles = await _inputs(store, job)
            except PermanentError as exc:
                outcomes[i] = exc
                continue
            items.append(JobInput(content, styles, job.params))
            index.append(i)
        relay = _ProgressRelay([contexts[i] for i in index], on_steps)

        def work() -> list[JobOutput | EngineError]:
            return run_style_batch(
                items,
                weights=config.weights,
                device=config.device,
                max_size=config.max_size,
                max_bytes=config.max_bytes,
                on_progress=relay.push,
                should_cancel=lambda n: contexts[index[n]].should_abort(),
                instant_model=config.instant_model,
            )

        for n, out in zip(index, await relay.run(work), strict=True):
            outcomes[n] = _translate(out) if isinstance(out, EngineError) else _result(out)
        return [o if o is not None else RuntimeError("job was not run") for o in outcomes]

    return batch_handler


def make_previewer(store: JobStore, config: EngineConfig) -> MakePreview:
    """The preview lane's `make_preview`: the job's instant picture as a JPEG (None for `instant` jobs)."""
    from engine.previews import PREVIEW_SIDE, instant_preview

    async def make_preview(job: Job) -> bytes | None:
        if job.params.get("preset") == "instant":
            return None
        content, styles = await _inputs(store, job)
        return await asyncio.to_thread(
            instant_preview,
            content,
            styles,
            job.params,
            model_dir=config.instant_model,
            device=config.device,
            max_side=min(PREVIEW_SIDE, config.max_size),
        )

    return make_preview


async def _inputs(store: JobStore, job: Job) -> tuple[bytes, list[bytes]]:
    try:
        content = await store.get_blob(job.content_sha)
        styles = [await store.get_blob(sha) for sha in job.style_shas]
    except BlobNotFound as exc:
        raise PermanentError(f"job {job.id}: an input image is gone ({exc})", job_id=job.id) from exc
    return content, styles


def _result(out: JobOutput) -> HandlerResult:
    return HandlerResult(result=out.data, meta=out.meta)


def _translate(exc: EngineError) -> BaseException:
    """Engine errors → the worker's retryable/permanent types (Cancelled stays: the worker knows why)."""
    if isinstance(exc, Cancelled):
        return exc
    if isinstance(exc, WeightsUnavailable):  # this worker is misconfigured; another one may do better
        return RetryableError(str(exc))
    return PermanentError(str(exc))


class _ProgressRelay:
    """Carries progress from the engine's thread to the jobs' contexts on the event loop (newest report wins)."""

    def __init__(self, contexts: Sequence[JobContext], on_steps: Callable[[int], None] | None = None) -> None:
        self._contexts = list(contexts)
        self._on_steps = on_steps
        self._steps: dict[int, int] = {}  # last step reported per job, to count steps done in between
        self._loop = asyncio.get_running_loop()
        self._latest: dict[int, StepReport] = {}
        self._wake = asyncio.Event()

    def push(self, index: int, report: StepReport) -> None:
        """Called in the engine's thread."""
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening any more
            self._loop.call_soon_threadsafe(self._store, index, report)

    def _store(self, index: int, report: StepReport) -> None:
        self._latest[index] = report
        if self._on_steps is not None:
            done, self._steps[index] = report.step - self._steps.get(index, 0), report.step
            self._on_steps(done)
        self._wake.set()

    async def _forward(self) -> None:
        while True:
            await self._wake.wait()
            await self._flush()

    async def _flush(self) -> None:
        self._wake.clear()
        latest, self._latest = self._latest, {}
        for index, r in latest.items():
            await self._contexts[index].report_progress(r.step, r.total, r.loss, r.preview_png)

    async def run(self, work: Callable[[], T]) -> T:
        forwarder = asyncio.create_task(self._forward(), name="progress-relay")
        try:
            out = await asyncio.to_thread(work)
        except EngineError as exc:
            raise _translate(exc) from exc
        finally:
            forwarder.cancel()
            await asyncio.wait({forwarder})
        await self._flush()
        return out
