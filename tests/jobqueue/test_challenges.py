"""The `ChallengeStore` contract, run on InMemoryChallengeStore and on SqlChallengeStore over SQLite and PostgreSQL
(where its binaries exist): lifecycle, limits (also concurrent), votes, ranking, deadlines, blob retention.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jobqueue import (
    BlobNotFound,
    ChallengeAlreadyOpen,
    ChallengeClosed,
    ChallengeEvent,
    ChallengeState,
    ChallengeStore,
    EnqueueLimits,
    EntryLimitReached,
    JobNotFound,
    JobState,
    NewChallenge,
    NotEntryOwner,
    QueueLimitExceeded,
    SelfVote,
    SqlChallengeStore,
    TargetKind,
    challenge_kept_refs,
)
from jobqueue.challenges.testing import in_memory_stores
from tests.jobqueue.helpers import PNG, FakeClock, store_options
from tests.jobqueue.sqlstores import room_stores

HOUR = timedelta(hours=1)
GUILD, CHANNEL, ORGANISER = 10, 20, 30


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Any, ChallengeStore]]:
    kept, opts = challenge_kept_refs(), store_options(clock)
    async with room_stores(request, tmp_path, opts, memory=in_memory_stores, kept=kept, room=SqlChallengeStore) as s:
        yield s


async def _open(jobs: Any, challenges: ChallengeStore, clock: FakeClock, **kw: Any) -> Any:
    style = await jobs.put_blob(PNG + b"style")
    values: dict[str, Any] = {
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "organiser_id": ORGANISER,
        "title": "Van Gogh week",
        "description": "Your street at night",
        "style_sha": style,
        "params": {"preset": "fast", "size": 32, "steps": 2, "strength": 1.0},
        "submissions_close_at": clock.now + 2 * HOUR,
        "voting_close_at": clock.now + 3 * HOUR,
        "max_entries_per_user": 2,
        "max_entries": 4,
    }
    values.update(kw)
    return await challenges.create(NewChallenge(**values))


async def _submit(jobs: Any, challenges: ChallengeStore, challenge_id: int, user: int, **kw: Any) -> Any:
    content = await jobs.put_blob(PNG + f"content-{user}-{kw.pop('n', 0)}".encode())
    return await challenges.submit_entry(challenge_id, user_id=user, content_sha=content, **kw)


async def _finish(jobs: Any, job_id: int, result: bytes = b"result") -> None:
    """Run the job to success through the JobStore, as a worker would."""
    claimed = await jobs.claim("w1", lease_seconds=30, limit=10)
    job = next(j for j in claimed if j.id == job_id)
    for other in claimed:
        if other.id != job_id:
            await jobs.release(other)
    await jobs.complete(job, result=PNG + result + str(job_id).encode(), meta={})


async def test_every_store_implements_the_protocol(stores: Any) -> None:
    _, challenges = stores
    assert isinstance(challenges, ChallengeStore)


async def test_one_open_challenge_per_channel(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    first = await _open(jobs, challenges, clock)
    with pytest.raises(ChallengeAlreadyOpen) as info:
        await _open(jobs, challenges, clock)
    assert info.value.challenge_id == first.id
    other_channel = await _open(jobs, challenges, clock, channel_id=CHANNEL + 1)
    assert [c.id for c in await challenges.list_open(guild_id=GUILD)] == [first.id, other_channel.id]
    await challenges.cancel(first.id, by=ORGANISER)
    again = await _open(jobs, challenges, clock)
    assert (await challenges.find(CHANNEL)).id == again.id  # type: ignore[union-attr]


async def test_gallery_thread_finds_its_challenge(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    await challenges.set_gallery(challenge.id, gallery_channel_id=99, announcement_message_id=98)
    found = await challenges.find(99)
    assert found is not None and found.id == challenge.id and found.post_channel_id == 99


async def test_submit_creates_a_challenge_job_with_the_challenge_style(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    entry, job = await _submit(jobs, challenges, challenge.id, 1, strength=2.5)
    assert (job.kind, job.style_shas, job.user_id, job.guild_id) == ("challenge", (challenge.style_sha,), 1, GUILD)
    assert job.params["strength"] == 2.5 and job.params["size"] == 32
    assert job.target.kind is TargetKind.NONE  # the bot posts entries itself
    assert (entry.job_id, entry.job_state, entry.votes) == (job.id, JobState.QUEUED, 0)


async def test_submission_is_idempotent_on_its_key(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    first = await _submit(jobs, challenges, challenge.id, 1, idempotency_key="discord:1")
    again = await _submit(jobs, challenges, challenge.id, 1, idempotency_key="discord:1")
    assert (again[0].id, again[1].id) == (first[0].id, first[1].id)
    assert len(await challenges.list_entries(challenge.id)) == 1


async def test_entry_limits_per_member_and_per_challenge(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    await _submit(jobs, challenges, challenge.id, 1, n=1)
    await _submit(jobs, challenges, challenge.id, 1, n=2)
    with pytest.raises(EntryLimitReached) as info:
        await _submit(jobs, challenges, challenge.id, 1, n=3)
    assert info.value.scope == "user"
    await _submit(jobs, challenges, challenge.id, 2, n=1)
    await _submit(jobs, challenges, challenge.id, 3, n=1)
    with pytest.raises(EntryLimitReached) as info:
        await _submit(jobs, challenges, challenge.id, 4, n=1)
    assert info.value.scope == "challenge"
    assert len(await challenges.list_entries(challenge.id)) == 4


async def test_withdrawn_and_failed_entries_free_their_slot(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock, max_entries_per_user=1)
    entry, job = await _submit(jobs, challenges, challenge.id, 1, n=1)
    with pytest.raises(NotEntryOwner):
        await challenges.withdraw_entry(entry.id, user_id=2)
    withdrawn = await challenges.withdraw_entry(entry.id, user_id=1)
    assert not withdrawn.active and (await jobs.get(job.id)).state is JobState.CANCELLED
    _, job2 = await _submit(jobs, challenges, challenge.id, 1, n=2)
    [claimed] = await jobs.claim("w1", lease_seconds=30)
    assert claimed.id == job2.id
    await jobs.fail(claimed, error="boom", retryable=False)
    await _submit(jobs, challenges, challenge.id, 1, n=3)  # the failed entry no longer counts


async def test_concurrent_submissions_respect_the_limits(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock, max_entries_per_user=2, max_entries=None)
    results = await asyncio.gather(
        *(_submit(jobs, challenges, challenge.id, 1, n=i) for i in range(8)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 2
    assert all(isinstance(r, EntryLimitReached) for r in results if isinstance(r, BaseException))


async def test_queue_limit_refusal_leaves_no_entry(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    limits = EnqueueLimits(max_queued_per_user=1)
    await _submit(jobs, challenges, challenge.id, 1, n=1, limits=limits)
    with pytest.raises(QueueLimitExceeded):
        await _submit(jobs, challenges, challenge.id, 1, n=2, limits=limits)
    assert len(await challenges.list_entries(challenge.id, include_withdrawn=True)) == 1


async def test_no_submissions_after_the_deadline(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    clock.advance(2 * 3600)
    with pytest.raises(ChallengeClosed) as info:
        await _submit(jobs, challenges, challenge.id, 1)
    assert info.value.phase == "voting"


async def test_votes_toggle_and_refuse_self_and_late_votes(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    entry, job = await _submit(jobs, challenges, challenge.id, 1)
    with pytest.raises(ChallengeClosed):  # not painted yet: nothing to vote on
        await challenges.toggle_vote(entry.id, 2)
    await _finish(jobs, job.id)
    first = await challenges.toggle_vote(entry.id, 2)
    assert (first.voted, first.votes) == (True, 1)
    assert (await challenges.toggle_vote(entry.id, 3)).votes == 2
    second = await challenges.toggle_vote(entry.id, 2)
    assert (second.voted, second.votes) == (False, 1)
    with pytest.raises(SelfVote):
        await challenges.toggle_vote(entry.id, 1)
    clock.advance(2.5 * 3600)  # submissions closed, voting still open
    assert (await challenges.toggle_vote(entry.id, 2)).votes == 2
    clock.advance(3600)  # voting closed
    with pytest.raises(ChallengeClosed):
        await challenges.toggle_vote(entry.id, 4)
    assert (await challenges.get_entry(entry.id)).votes == 2


async def test_leaderboard_ranks_by_votes_then_earlier_submission(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock, max_entries=None)
    entries = []
    for user in (1, 2, 3, 4):
        entry, job = await _submit(jobs, challenges, challenge.id, user)
        await _finish(jobs, job.id)
        entries.append(entry)
        clock.advance(60)
    votes = {entries[0].id: [5, 6], entries[1].id: [5, 6, 7], entries[2].id: [5, 6], entries[3].id: []}
    for entry_id, voters in votes.items():
        for voter in voters:
            await challenges.toggle_vote(entry_id, voter)
    ranked = await challenges.leaderboard(challenge.id)
    assert [(r.rank, r.entry.user_id, r.entry.votes) for r in ranked] == [(1, 2, 3), (2, 1, 2), (3, 3, 2), (4, 4, 0)]


async def test_end_cancels_unfinished_entries_and_leaves_them_unranked(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    done, done_job = await _submit(jobs, challenges, challenge.id, 1)
    await _finish(jobs, done_job.id)
    _, waiting_job = await _submit(jobs, challenges, challenge.id, 2)
    ended = await challenges.end(challenge.id, by=ORGANISER)
    assert ended.state is ChallengeState.ENDED and ended.ended_by == ORGANISER
    assert (await jobs.get(waiting_job.id)).state is JobState.CANCELLED
    assert [r.entry.id for r in await challenges.leaderboard(challenge.id)] == [done.id]
    with pytest.raises(ChallengeClosed):
        await challenges.end(challenge.id)
    assert await challenges.find(CHANNEL) is None
    assert (await challenges.find(CHANNEL, open_only=False)).id == challenge.id  # type: ignore[union-attr]


async def test_due_events_follow_the_deadlines_until_announced(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    assert await challenges.due() == []
    clock.advance(5 * 3600)  # both deadlines passed (e.g. while the bot was down)
    events = [(d.challenge.id, d.event) for d in await challenges.due()]
    assert events == [(challenge.id, ChallengeEvent.SUBMISSIONS_CLOSED), (challenge.id, ChallengeEvent.VOTING_CLOSED)]
    await challenges.mark_submissions_announced(challenge.id)
    assert [d.event for d in await challenges.due()] == [ChallengeEvent.VOTING_CLOSED]
    await challenges.end(challenge.id)
    assert [d.event for d in await challenges.due()] == [ChallengeEvent.VOTING_CLOSED]  # not announced yet
    await challenges.mark_announced(challenge.id)
    assert await challenges.due() == []


async def test_extend_moves_the_deadlines(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    extended = await challenges.extend(challenge.id, HOUR)
    assert extended.submissions_close_at == challenge.submissions_close_at + HOUR
    assert extended.voting_close_at == challenge.voting_close_at + HOUR
    clock.advance(3.5 * 3600)
    voting = await challenges.extend(challenge.id, HOUR)
    assert voting.submissions_close_at == extended.submissions_close_at
    assert voting.voting_close_at == extended.voting_close_at + HOUR


async def test_entries_to_post_until_marked(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    entry, job = await _submit(jobs, challenges, challenge.id, 1)
    assert await challenges.entries_to_post() == []
    await _finish(jobs, job.id)
    [ready] = await challenges.entries_to_post()
    assert ready.id == entry.id and ready.finished and ready.result_sha is not None
    posted = await challenges.mark_entry_posted(entry.id, message_id=555)
    assert posted.message_id == 555 and await challenges.entries_to_post() == []
    assert (await challenges.entry_for_job(job.id)).id == entry.id


async def test_open_challenges_keep_their_blobs(stores: Any, clock: FakeClock) -> None:
    jobs, challenges = stores
    challenge = await _open(jobs, challenges, clock)
    entry, job = await _submit(jobs, challenges, challenge.id, 1)
    await _finish(jobs, job.id)
    result_sha = (await jobs.get(job.id)).result_sha
    assert {challenge.style_sha, entry.content_sha, result_sha} <= await challenges.kept_blobs()
    assert job.id in await challenges.kept_jobs()
    clock.advance(365 * 86400)
    await jobs.gc(retention_seconds=1)
    assert await jobs.get_blob(challenge.style_sha) and await jobs.get_blob(result_sha)
    await challenges.end(challenge.id)
    await challenges.mark_announced(challenge.id)
    assert await challenges.kept_blobs() == {challenge.style_sha}  # the challenge's row still refers to it
    clock.advance(365 * 86400)
    await jobs.gc(retention_seconds=1)  # (deleting the style failed on the foreign key: every pass, for ever)
    assert await jobs.get_blob(challenge.style_sha)
    for sha in (entry.content_sha, result_sha):
        with pytest.raises(BlobNotFound):
            await jobs.get_blob(sha)


async def _voter_ids(jobs: Any, challenges: Any) -> set[int]:
    if isinstance(challenges, SqlChallengeStore):
        from sqlalchemy import select

        from jobqueue.challenges._rows import VOTES

        return set(await jobs.db.read(lambda tx: tx.conn.execute(select(VOTES.c.voter_id)).scalars().all()))
    return {voter for voters in challenges._votes.values() for voter in voters}


async def _entries_of(challenges: ChallengeStore, challenge_id: int, user_id: int) -> list[int]:
    return [e.id for e in await challenges.list_entries(challenge_id, user_id=user_id, include_withdrawn=True)]


async def test_forget_user_forgets_the_members_challenge_rows(stores: Any, clock: FakeClock) -> None:
    """Withdrawn entries and every entry of a finished challenge go with their pictures and votes; the member's votes
    are taken back in a live challenge and anonymised in a finished one (its counts stay); active entries of a live
    challenge stay."""
    jobs, challenges = stores
    me = 1
    finished = await _open(jobs, challenges, clock, organiser_id=me)
    old, old_job = await _submit(jobs, challenges, finished.id, me)
    theirs, theirs_job = await _submit(jobs, challenges, finished.id, 2)
    for job in (old_job, theirs_job):
        await _finish(jobs, job.id)
    await challenges.toggle_vote(theirs.id, me)
    await challenges.toggle_vote(theirs.id, 3)
    await challenges.toggle_vote(old.id, 3)
    await challenges.end(finished.id, by=me)
    await challenges.mark_announced(finished.id)

    live = await _open(jobs, challenges, clock, channel_id=CHANNEL + 1)
    withdrawn, withdrawn_job = await _submit(jobs, challenges, live.id, me, n=1)
    await challenges.withdraw_entry(withdrawn.id, user_id=me)
    active, _ = await _submit(jobs, challenges, live.id, me, n=2)
    other, other_job = await _submit(jobs, challenges, live.id, 2, n=3)
    await _finish(jobs, other_job.id)
    await challenges.toggle_vote(other.id, me)
    old_result = (await jobs.get(old_job.id)).result_sha

    await jobs.forget_user(me)

    assert await _entries_of(challenges, finished.id, me) == []
    assert await _entries_of(challenges, live.id, me) == [active.id]  # in the running: withdrawn by the member
    assert (await challenges.get_entry(theirs.id)).votes == 2  # a finished leaderboard keeps its counts
    assert (await challenges.get_entry(other.id)).votes == 0  # a live vote is taken back
    assert me not in await _voter_ids(jobs, challenges)
    assert (await challenges.get(finished.id)).organiser_id == 0
    assert (await challenges.get(finished.id)).ended_by is None
    for sha in (withdrawn.content_sha, old.content_sha, old_result):
        with pytest.raises(BlobNotFound):
            await jobs.get_blob(sha)
    for job_id in (withdrawn_job.id, old_job.id):
        with pytest.raises(JobNotFound):
            await jobs.get(job_id)
    assert await jobs.get_blob(active.content_sha)
