"""DiscordPoster's rules that need no network: token lifetime, nonces, error translation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import discord
import pytest

from delivery import (
    DiscordPoster,
    InteractionExpired,
    MissingPermissions,
    PermanentDeliveryError,
    RateLimited,
    RetryableDeliveryError,
    TargetGone,
    delivery_nonce,
)
from delivery._poster import _translate
from jobqueue import DeliveryTarget, JobState, TargetKind
from jobqueue.testing import InMemoryJobStore
from tests.delivery.helpers import interaction_target, submit, succeed

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _poster() -> DiscordPoster:
    client = discord.Client(intents=discord.Intents.none())
    return DiscordPoster(client, token_margin=timedelta(seconds=90), clock=lambda: NOW)


@pytest.mark.parametrize(
    ("age", "alive"),
    [
        (timedelta(0), True),
        (timedelta(minutes=13), True),
        (timedelta(minutes=13, seconds=31), False),
        (timedelta(minutes=16), False),
    ],
)
async def test_interaction_token_counts_as_dead_before_its_15_minutes(age: timedelta, alive: bool) -> None:
    assert _poster().token_alive(interaction_target(created=NOW - age)) is alive


async def test_token_alive_needs_an_interaction_target_with_token() -> None:
    poster = _poster()
    assert not poster.token_alive(DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=1, token_created_at=NOW))
    assert not poster.token_alive(dataclasses.replace(interaction_target(created=NOW), interaction_token=None))
    naive = interaction_target(created=NOW.replace(tzinfo=None))
    assert poster.token_alive(naive)


async def test_nonce_is_stable_short_and_changes_with_the_outcome() -> None:
    store = InMemoryJobStore()
    job = await succeed(store, await submit(store))
    nonce = delivery_nonce(job)
    assert nonce == delivery_nonce(job) and len(nonce) <= 25
    assert delivery_nonce(job, "progress") != nonce
    assert delivery_nonce(dataclasses.replace(job, state=JobState.FAILED)) != nonce
    later = dataclasses.replace(job, finished_at=(job.finished_at or NOW) + timedelta(seconds=1))
    assert delivery_nonce(later) != nonce
    assert delivery_nonce(dataclasses.replace(job, id=job.id + 1)) != nonce


def _http_error(status: int, code: int = 0, retry_after: str | None = None) -> discord.HTTPException:
    headers = {"Retry-After": retry_after} if retry_after else {}
    response = SimpleNamespace(status=status, reason="x", headers=headers)
    return discord.HTTPException(response, {"code": code, "message": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "path", "expected"),
    [
        (429, "channel", RateLimited),
        (500, "channel", RetryableDeliveryError),
        (503, "webhook", RetryableDeliveryError),
        (401, "webhook", InteractionExpired),
        (404, "webhook", InteractionExpired),
        (403, "channel", MissingPermissions),
        (404, "channel", TargetGone),
        (400, "channel", PermanentDeliveryError),
    ],
)
async def test_http_errors_become_typed_delivery_errors(status: int, path: str, expected: type) -> None:
    store = InMemoryJobStore()
    job = await submit(store)
    error = _translate(_http_error(status, retry_after="2.5"), job, path, 123)
    assert type(error) is expected
    assert f"job {job.id}" in str(error)
    if expected is RateLimited:
        assert error.retry_after == 2.5  # type: ignore[attr-defined]
    if expected is MissingPermissions:
        assert error.channel_id == 123 and "Send Messages" in str(error)  # type: ignore[attr-defined]
