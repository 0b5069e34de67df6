"""The challenge runner never lets one bad entry or deadline hold up the others.

End to end against the stand-in for an entry whose picture vanished from the database; with small fakes for the
back-off of failing posts and deadlines (the runner only needs `store`, `jobs` and `bot.get_partial_messageable`).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot.exts.challenge._runner import GIVE_UP_AFTER, ChallengeRunner, _transient
from jobqueue import (
    BlobNotFound,
    Challenge,
    ChallengeEvent,
    ChallengeState,
    DueEvent,
    Entry,
    EntryState,
    JobQueueError,
    JobState,
)
from tests.bot.challenge_support import Arena, arena, running
from tests.bot.support import reply_text


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Arena]:
    async with arena(tmp_path) as w:
        yield w


async def test_an_entry_whose_picture_is_gone_is_withdrawn_and_the_next_one_posted(
    world: Arena, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = world.standin
    alice, bob, _ = world.members
    async with running(world, tick=30.0):  # the runner sleeps: the test drives run_once
        await reply_text(s, await world.start())
        await world.submit(alice, 1)
        await world.submit(bob, 2)
        await world.finish_jobs()
        alice_job, _ = sorted(await world.jobs.list_jobs(kind="challenge", limit=10), key=lambda j: j.id)
        with sqlite3.connect(tmp_path / "c.db") as db:  # the result blob is lost (a bad restore, a manual prune)
            db.execute("DELETE FROM blobs WHERE sha = ?", (alice_job.result_sha,))
        runner = world.cog().runner
        with caplog.at_level(logging.WARNING, logger="bot.exts.challenge._runner"):
            await runner.run_once()
        [post] = world.entry_posts()
        assert f"<@{bob.id}>" in post.text()
        notice = await s.wait_for_message(world.thread_id(), lambda m: "could not be shown" in m.text())
        assert alice.id in notice.mention_ids
        assert any("no longer in the database" in r.getMessage() for r in caplog.records)
        [entry] = await world.cog().store.list_entries(1, user_id=alice.id, include_withdrawn=True)
        assert entry.state is EntryState.WITHDRAWN
        assert "Your entry #" in await world.submit(alice, 3)  # the slot is free again
        await runner.run_once()  # nothing left over to repeat
        assert len(world.entry_posts()) == 1
        await reply_text(s, await s.run_command("challenge end", user=world.organiser))
        results = await s.wait_for_message(world.channel_id, lambda m: m.content.startswith("🏁"))
        assert f"<@{bob.id}>" in results.text() and f"<@{alice.id}>" not in results.text()


# -- fakes ------------------------------------------------------------------------------------------------------------
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHALLENGE = Challenge(
    id=1,
    guild_id=10,
    channel_id=20,
    organiser_id=30,
    title="t",
    description="d",
    style_sha="s",
    params={},
    state=ChallengeState.OPEN,
    created_at=NOW,
    submissions_close_at=NOW + timedelta(hours=1),
    voting_close_at=NOW + timedelta(hours=2),
)


def _entry(entry_id: int) -> Entry:
    return Entry(
        id=entry_id,
        challenge_id=1,
        user_id=100 + entry_id,
        job_id=entry_id,
        content_sha="c",
        state=EntryState.ACTIVE,
        submitted_at=NOW,
        job_state=JobState.SUCCEEDED,
        result_sha=f"result-{entry_id}",
    )


@dataclass
class FakeChannel:
    sent: list[str] = field(default_factory=list)

    async def send(self, content: str, **_: Any) -> Any:
        self.sent.append(content)
        return type("Sent", (), {"id": len(self.sent)})()


@dataclass
class FakeBot:
    channel: FakeChannel = field(default_factory=FakeChannel)

    def get_partial_messageable(self, channel_id: int, guild_id: int | None = None) -> FakeChannel:
        return self.channel


@dataclass
class FakeStores:
    """ChallengeStore and JobStore in one: entries to post, due deadlines, blobs that fail as told."""

    entries: dict[int, Entry]
    broken: dict[str, BaseException] = field(default_factory=dict)  # result sha → what get_blob raises
    due_events: list[DueEvent] = field(default_factory=list)
    posted: list[int] = field(default_factory=list)
    blob_calls: list[str] = field(default_factory=list)

    def now(self) -> datetime:
        return NOW

    async def entries_to_post(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.id not in self.posted]

    async def get(self, challenge_id: int) -> Challenge:
        return CHALLENGE

    async def get_blob(self, sha: str) -> bytes:
        self.blob_calls.append(sha)
        if sha in self.broken:
            raise self.broken[sha]
        return b"\x89PNG"

    async def mark_entry_posted(self, entry_id: int, *, message_id: int | None) -> None:
        self.posted.append(entry_id)

    async def mark_delivered(self, job_id: int) -> None:
        return None

    async def due(self) -> list[DueEvent]:
        return list(self.due_events)

    async def mark_submissions_announced(self, challenge_id: int) -> None:
        self.due_events = [d for d in self.due_events if d.challenge.id != challenge_id]


def _runner(stores: FakeStores, *, tick: float) -> tuple[ChallengeRunner, FakeBot]:
    bot = FakeBot()
    return ChallengeRunner(bot, stores, stores, tick=tick), bot  # type: ignore[arg-type]


async def test_a_transient_failure_backs_off_that_entry_while_the_others_are_posted() -> None:
    stores = FakeStores({1: _entry(1), 2: _entry(2)}, broken={"result-1": JobQueueError("database hiccup")})
    runner, _ = _runner(stores, tick=60.0)
    await runner.run_once()
    assert stores.posted == [2]
    await runner.run_once()  # backed off: not tried again at once
    assert stores.blob_calls.count("result-1") == 1 and stores.posted == [2]


async def test_an_entry_that_keeps_failing_unexpectedly_is_skipped_after_a_few_tries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stores = FakeStores({1: _entry(1), 2: _entry(2)}, broken={"result-1": ValueError("not a picture")})
    runner, _ = _runner(stores, tick=0.0)  # no back-off delay: every pass tries again
    with caplog.at_level(logging.WARNING, logger="bot.exts.challenge._runner"):
        for _ in range(GIVE_UP_AFTER):
            await runner.run_once()
    assert stores.posted == [2, 1] and stores.blob_calls.count("result-1") == GIVE_UP_AFTER
    assert any(f"skipped after {GIVE_UP_AFTER} failed tries" in r.getMessage() for r in caplog.records)


async def test_a_failing_deadline_does_not_hold_up_the_next_challenge_s() -> None:
    broken = dataclasses.replace(CHALLENGE, id=7)
    events = [
        DueEvent(broken, ChallengeEvent.SUBMISSIONS_CLOSED, NOW),
        DueEvent(CHALLENGE, ChallengeEvent.SUBMISSIONS_CLOSED, NOW),
    ]
    stores = FakeStores({}, due_events=events)
    runner, bot = _runner(stores, tick=60.0)

    async def announce(challenge_id: int) -> None:
        if challenge_id == 7:
            raise JobQueueError("database hiccup")
        stores.due_events = [d for d in stores.due_events if d.challenge.id != challenge_id]

    stores.mark_submissions_announced = announce  # type: ignore[method-assign]
    assert await runner.run_once() is False
    assert [d.challenge.id for d in stores.due_events] == [7] and len(bot.channel.sent) == 2


def _http(status: int) -> discord.HTTPException:
    return discord.HTTPException(types.SimpleNamespace(status=status, reason="x"), "refused")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_http(503), True),
        (_http(429), True),
        (_http(400), False),
        (_http(413), False),
        (aiohttp.ServerDisconnectedError(), True),
        (TimeoutError(), True),
        (JobQueueError("database hiccup"), True),
        (BlobNotFound("0" * 64), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_is_worth_repeating_as_is(exc: BaseException, transient: bool) -> None:
    assert _transient(exc) is transient
