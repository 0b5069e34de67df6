"""Retention: finished jobs' images and results are pruned once they are older than `STYLEBOT_RETENTION_DAYS`, and
interaction tokens once they are older than Discord's 15 minutes (delivery drops a job's token as soon as it is done).

`prune_once` runs one `JobStore.gc` pass and logs how many blobs it removed; `expire_tokens_once` drops the expired
interaction tokens. `run_retention` repeats both as a service of the engine process (`stylebot engine`): tokens every
`token_interval` seconds whatever the retention age, images every `interval` seconds unless retention is off; and
`stylebot db prune` runs both once by hand. What a pass keeps is the store's rule: queued and running jobs, jobs
finished within the retention window, results not yet delivered, and open challenges' images. Several engines
pruning the same database is harmless: each pass is one transaction and deleting an already deleted blob is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

__all__ = ["DAY_SECONDS", "DEFAULT_INTERVAL", "TOKEN_INTERVAL", "expire_tokens_once", "prune_once", "run_retention"]

logger = logging.getLogger(__name__)

DAY_SECONDS = 86_400.0
DEFAULT_INTERVAL = 3_600.0  # one pass an hour
TOKEN_INTERVAL = 300.0  # expired interaction tokens are dropped within 5 minutes of their 15


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


async def expire_tokens_once(store: Any) -> int:
    """Drop the interaction tokens older than Discord's 15 minutes; returns how many."""
    cleared = int(await store.expire_interaction_tokens())
    if cleared:
        logger.info("retention: dropped %d expired interaction tokens", cleared, extra={"action": "expire_tokens"})
    return cleared


async def _one_pass(what: str, interval: float, work: Any) -> Any:
    try:
        return await work
    except asyncio.CancelledError:
        raise
    except Exception:  # a janitor must not take the engine down; the next pass tries again
        logger.exception("retention pass failed (%s); next try in %g s", what, interval, extra={"action": "prune"})
        return None


async def run_retention(
    store: Any,
    *,
    retention_days: float,
    interval: float = DEFAULT_INTERVAL,
    on_pruned: Callable[[int], None] | None = None,
    token_interval: float = TOKEN_INTERVAL,
) -> None:
    """Drop expired interaction tokens every `token_interval` seconds and prune images every `interval` seconds,
    forever (cancel the task to stop it).

    `retention_days <= 0` turns image retention off (logged once); tokens expire all the same. A failed pass (the
    database away for a moment) is logged and retried at the next interval; it never stops the engine.
    """
    keep_images = retention_days <= 0
    if keep_images:
        logger.info("retention is off (STYLEBOT_RETENTION_DAYS=%g): stored images and results are kept", retention_days)
    else:
        logger.info("retention: pruning images and results older than %g days every %g s", retention_days, interval)
    next_prune = time.monotonic()
    while True:
        await _one_pass("interaction tokens", token_interval, expire_tokens_once(store))
        if not keep_images and time.monotonic() >= next_prune:
            next_prune = time.monotonic() + interval
            removed = await _one_pass("images", interval, prune_once(store, retention_days=retention_days))
            if removed is not None and on_pruned is not None:
                on_pruned(removed)
        await asyncio.sleep(token_interval if keep_images else min(interval, token_interval))
