"""Retention: finished jobs' images and results are pruned once they are older than `STYLEBOT_RETENTION_DAYS`.

`prune_once` runs one `JobStore.gc` pass and logs how many blobs it removed; `run_retention` repeats it every
`interval` seconds as a service of the engine process (`stylebot engine`), and `stylebot db prune` runs it once by
hand. What a pass keeps is the store's rule: queued and running jobs, jobs finished within the retention window,
results not yet delivered, and open challenges' images. Several engines pruning the same database is harmless:
each pass is one transaction and deleting an already deleted blob is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["DAY_SECONDS", "DEFAULT_INTERVAL", "prune_once", "run_retention"]

logger = logging.getLogger(__name__)

DAY_SECONDS = 86_400.0
DEFAULT_INTERVAL = 3_600.0  # one pass an hour


async def prune_once(store: Any, *, retention_days: float) -> int:
    """Delete the blobs nothing keeps that are older than `retention_days`; returns how many were deleted."""
    if retention_days < 0:
        raise ValueError(f"retention_days must be >= 0, not {retention_days}")
    removed = int(await store.gc(retention_seconds=retention_days * DAY_SECONDS))
    logger.info(
        "retention: pruned %d stored images/results older than %g days",
        removed,
        retention_days,
        extra={"action": "prune", "pruned": removed},
    )
    return removed


async def run_retention(
    store: Any,
    *,
    retention_days: float,
    interval: float = DEFAULT_INTERVAL,
    on_pruned: Callable[[int], None] | None = None,
) -> None:
    """Prune now and then every `interval` seconds, forever (cancel the task to stop it).

    `retention_days <= 0` turns retention off: the service logs that once and returns. A failed pass (the database
    away for a moment) is logged and retried at the next interval; it never stops the engine.
    """
    if retention_days <= 0:
        logger.info("retention is off (STYLEBOT_RETENTION_DAYS=%g): stored images and results are kept", retention_days)
        return
    logger.info("retention: pruning images and results older than %g days every %g s", retention_days, interval)
    while True:
        try:
            removed = await prune_once(store, retention_days=retention_days)
        except asyncio.CancelledError:
            raise
        except Exception:  # a janitor must not take the engine down; the next pass tries again
            logger.exception("retention pass failed; next try in %g s", interval, extra={"action": "prune"})
        else:
            if on_pruned is not None:
                on_pruned(removed)
        await asyncio.sleep(interval)
