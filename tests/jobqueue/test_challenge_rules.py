"""Pure challenge rules: phases, deadlines, extension, limits, votes and ranking with tie-breaks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jobqueue import JobState
from jobqueue.challenges import (
    Challenge,
    ChallengeClosed,
    ChallengeEvent,
    ChallengePhase,
    ChallengeState,
    Entry,
    EntryLimitReached,
    EntryState,
    SelfVote,
)
from jobqueue.challenges.rules import (
    check_entry_limits,
    check_submission,
    check_vote,
    compute_deadlines,
    due_events,
    extend_deadlines,
    next_event,
    phase_at,
    rank_entries,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _challenge(**kw: object) -> Challenge:
    base = Challenge(
        id=1,
        guild_id=10,
        channel_id=20,
        organiser_id=30,
        title="t",
        description="d",
        style_sha="s" * 64,
        params={},
        state=ChallengeState.OPEN,
        created_at=T0,
        submissions_close_at=T0 + 2 * HOUR,
        voting_close_at=T0 + 3 * HOUR,
        max_entries_per_user=2,
        max_entries=5,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _entry(entry_id: int, votes: int, submitted_min: int, **kw: object) -> Entry:
    base = Entry(
        id=entry_id,
        challenge_id=1,
        user_id=100 + entry_id,
        job_id=entry_id,
        content_sha="c" * 64,
        state=EntryState.ACTIVE,
        submitted_at=T0 + timedelta(minutes=submitted_min),
        votes=votes,
        job_state=JobState.SUCCEEDED,
        result_sha="r" * 64,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("offset", "phase"),
    [
        (timedelta(0), ChallengePhase.SUBMISSIONS),
        (2 * HOUR - timedelta(seconds=1), ChallengePhase.SUBMISSIONS),
        (2 * HOUR, ChallengePhase.VOTING),
        (3 * HOUR - timedelta(seconds=1), ChallengePhase.VOTING),
        (3 * HOUR, ChallengePhase.CLOSING),
    ],
)
def test_phase_follows_the_clock(offset: timedelta, phase: ChallengePhase) -> None:
    assert phase_at(_challenge(), T0 + offset) is phase


def test_phase_of_ended_and_cancelled_ignores_the_clock() -> None:
    assert phase_at(_challenge(state=ChallengeState.ENDED), T0) is ChallengePhase.ENDED
    assert phase_at(_challenge(state=ChallengeState.CANCELLED), T0) is ChallengePhase.CANCELLED


def test_compute_deadlines_adds_voting_period_after_submissions() -> None:
    assert compute_deadlines(T0, 2 * HOUR, 24 * HOUR) == (T0 + 2 * HOUR, T0 + 26 * HOUR)


@pytest.mark.parametrize("duration", [timedelta(seconds=30), timedelta(days=91)])
def test_compute_deadlines_rejects_out_of_range_duration(duration: timedelta) -> None:
    with pytest.raises(ValueError, match="duration"):
        compute_deadlines(T0, duration, HOUR)


def test_extend_during_submissions_moves_both_deadlines() -> None:
    assert extend_deadlines(_challenge(), HOUR, T0) == (T0 + 3 * HOUR, T0 + 4 * HOUR)


def test_extend_during_voting_moves_only_voting_deadline() -> None:
    assert extend_deadlines(_challenge(), HOUR, T0 + 2 * HOUR) == (T0 + 2 * HOUR, T0 + 4 * HOUR)


def test_extend_after_voting_closed_is_refused() -> None:
    with pytest.raises(ChallengeClosed) as info:
        extend_deadlines(_challenge(), HOUR, T0 + 3 * HOUR)
    assert info.value.phase == "closing"
    with pytest.raises(ChallengeClosed):
        extend_deadlines(_challenge(state=ChallengeState.ENDED), HOUR, T0)


def test_next_event_is_submissions_then_voting_then_none() -> None:
    ch = _challenge()
    assert next_event(ch) == (ChallengeEvent.SUBMISSIONS_CLOSED, T0 + 2 * HOUR)
    ch = replace(ch, submissions_announced_at=T0 + 2 * HOUR)
    assert next_event(ch) == (ChallengeEvent.VOTING_CLOSED, T0 + 3 * HOUR)
    assert next_event(replace(ch, state=ChallengeState.ENDED)) is None


def test_due_events_reports_both_deadlines_missed_while_down() -> None:
    ch = _challenge()
    assert due_events(ch, T0 + HOUR) == []
    assert due_events(ch, T0 + 2 * HOUR) == [ChallengeEvent.SUBMISSIONS_CLOSED]
    assert due_events(ch, T0 + 5 * HOUR) == [ChallengeEvent.SUBMISSIONS_CLOSED, ChallengeEvent.VOTING_CLOSED]
    announced = replace(ch, submissions_announced_at=T0 + 2 * HOUR)
    assert due_events(announced, T0 + 5 * HOUR) == [ChallengeEvent.VOTING_CLOSED]
    assert due_events(replace(ch, state=ChallengeState.CANCELLED), T0 + 5 * HOUR) == []


def test_entry_limits_per_member_and_per_challenge() -> None:
    ch = _challenge()
    check_entry_limits(ch, user_entries=1, total_entries=4)
    with pytest.raises(EntryLimitReached) as info:
        check_entry_limits(ch, user_entries=2, total_entries=0)
    assert (info.value.scope, info.value.limit) == ("user", 2)
    with pytest.raises(EntryLimitReached) as info:
        check_entry_limits(ch, user_entries=0, total_entries=5)
    assert (info.value.scope, info.value.limit) == ("challenge", 5)
    check_entry_limits(replace(ch, max_entries=None), user_entries=0, total_entries=10_000)


def test_submission_only_before_the_deadline() -> None:
    check_submission(_challenge(), T0 + 2 * HOUR - timedelta(microseconds=1))
    with pytest.raises(ChallengeClosed):
        check_submission(_challenge(), T0 + 2 * HOUR)


def test_vote_rules() -> None:
    ch = _challenge()
    entry = _entry(1, 0, 0)
    check_vote(ch, entry, voter_id=999, now=T0 + 2 * HOUR + timedelta(minutes=5))
    with pytest.raises(SelfVote):
        check_vote(ch, entry, voter_id=entry.user_id, now=T0)
    with pytest.raises(ChallengeClosed):
        check_vote(ch, entry, voter_id=999, now=T0 + 3 * HOUR)
    with pytest.raises(ChallengeClosed):
        check_vote(ch, replace(entry, state=EntryState.WITHDRAWN), voter_id=999, now=T0)
    with pytest.raises(ChallengeClosed):
        check_vote(ch, replace(entry, job_state=JobState.RUNNING, result_sha=None), voter_id=999, now=T0)


def test_ranking_by_votes_then_earlier_submission() -> None:
    entries = [_entry(1, 3, 30), _entry(2, 5, 40), _entry(3, 3, 10), _entry(4, 0, 0), _entry(5, 3, 10)]
    ranked = rank_entries(entries)
    assert [(r.rank, r.entry.id) for r in ranked] == [(1, 2), (2, 3), (3, 5), (4, 1), (5, 4)]


def test_ranking_leaves_out_unfinished_and_withdrawn_entries() -> None:
    entries = [
        _entry(1, 9, 0, job_state=JobState.QUEUED, result_sha=None),
        _entry(2, 9, 0, state=EntryState.WITHDRAWN),
        _entry(3, 9, 0, job_state=JobState.FAILED, result_sha=None),
        _entry(4, 1, 5),
    ]
    assert [r.entry.id for r in rank_entries(entries)] == [4]
    assert rank_entries([]) == []
