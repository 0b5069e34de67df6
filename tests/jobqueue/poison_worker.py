"""A `stylebot engine`-like worker process for fault-isolation tests: the real `jobqueue.Worker` in burst mode over a
batch handler that stands in for the engine, where a job whose params say `"poison": true` kills the whole process
(SIGKILL, as the kernel's OOM killer or a segfault in a CUDA driver would).

    python -m tests.jobqueue.poison_worker DATABASE_URL WORKER_ID
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

import jobqueue
from jobqueue import HandlerResult, Job, JobContext

LEASE_SECONDS = 1.0
BATCH_SIZE = 4
OPTIONS = jobqueue.StoreOptions(retry_backoff_base=0.2, retry_backoff_max=0.5)


async def batch(jobs: Sequence[Job], contexts: Sequence[JobContext]) -> list[HandlerResult | BaseException]:
    """Stylize the batch (well, pretend); a poison job takes the process down with every job of its claim."""
    for job, ctx in zip(jobs, contexts, strict=True):
        await ctx.report_progress(1, 2)
        if job.params.get("poison"):
            os.kill(os.getpid(), signal.SIGKILL)
    await asyncio.sleep(0.05)
    return [HandlerResult(result=b"styled %d" % job.id, meta={"batch": [j.id for j in jobs]}) for job in jobs]


async def main(url: str, worker_id: str) -> None:
    store = await jobqueue.open_store(url, migrate=False, options=OPTIONS)
    try:
        worker = jobqueue.Worker(
            store,
            batch_handler=batch,
            batch_size=BATCH_SIZE,
            worker_id=worker_id,
            lease_seconds=LEASE_SECONDS,
            poll_interval=0.05,
            heartbeat_interval=0.1,
        )
        await worker.run_until_idle()
    finally:
        await store.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
