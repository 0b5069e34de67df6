"""Renderers: what a member sees in each state, as plain data."""

from __future__ import annotations

import dataclasses

from delivery import RANDOM_WEIGHTS_NOTE, custom_ids, render_job
from delivery._render import without_image
from jobqueue import JobProgress, JobState, Position
from jobqueue.testing import InMemoryJobStore
from tests.delivery.helpers import USER_ID, fail, run_job, submit, succeed


def _text(message: object) -> str:
    embed = message.embed  # type: ignore[attr-defined]
    parts = [message.content or "", embed.get("title", ""), embed.get("description", "")]  # type: ignore[attr-defined]
    parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_queued_shows_position_eta_and_cancel() -> None:
    store = InMemoryJobStore()
    job = await submit(store)
    message = render_job(job, position=Position(position=3, ahead=2, eta_seconds=95, workers_alive=1))
    text = _text(message)
    assert "#3" in text and "2 ahead" in text and "1 min 35 s" in text
    assert "No engine" not in text
    assert [custom_ids.parse(b.custom_id) for b in message.buttons] == [custom_ids.ParsedId("job", job.id, "cancel")]


async def test_queued_without_live_engine_says_the_job_waits() -> None:
    store = InMemoryJobStore()
    job = await submit(store)
    text = _text(render_job(job, position=Position(position=1, ahead=0, eta_seconds=None, workers_alive=0)))
    assert "No engine is running" in text and "waits" in text
    assert "No engine is running" in _text(render_job(job, workers_alive=0))


async def test_running_shows_step_percentage_bar_and_preview() -> None:
    store = InMemoryJobStore()
    job = await submit(store)
    await run_job(store, job, step=40, total=160, preview=b"\x89PNG small")
    job = await store.get(job.id)
    message = render_job(job)
    assert "40/160" in message.embed["description"] and "25%" in message.embed["description"]
    assert "████" in message.embed["description"] and "░" in message.embed["description"]
    assert message.thumbnail == "preview.png" and message.thumbnail_sha == job.progress.preview_sha
    assert message.embed["thumbnail"]["url"] == "attachment://preview.png"
    assert [b.label for b in message.buttons] == ["Cancel"]


async def test_running_with_cancel_requested_drops_the_button() -> None:
    store = InMemoryJobStore()
    job = await submit(store)
    await run_job(store, job)
    job = await store.cancel(job.id)
    message = render_job(job)
    assert "Cancelling" in message.embed["description"] and message.buttons == ()


async def test_succeeded_shows_image_settings_run_time_and_buttons() -> None:
    store = InMemoryJobStore()
    job = await succeed(store, await submit(store), notes=["size clamped to 1024 px"], size=[64, 48], steps=10)
    message = render_job(job, image_name="stylebot-1.jpg")
    text = _text(message)
    assert message.embed["image"]["url"] == "attachment://stylebot-1.jpg" and message.image_sha == job.result_sha
    assert "12 s" in text and "64 x 48 px" in text and "Seed: `7`" in text and "Steps: **10**" in text
    assert "size clamped to 1024 px" in text
    assert RANDOM_WEIGHTS_NOTE not in text
    actions = [custom_ids.parse(b.custom_id).action for b in message.buttons]  # type: ignore[union-attr]
    assert actions == ["reroll", "stronger", "weaker", "save"]
    assert message.mention_user_id == USER_ID


async def test_save_as_style_is_offered_only_for_a_servers_result() -> None:
    store = InMemoryJobStore()
    job = await succeed(store, await submit(store))
    assert [b.label for b in render_job(job).buttons][-1] == "Save as style"
    in_dm = dataclasses.replace(job, guild_id=None)
    assert "Save as style" not in [b.label for b in render_job(in_dm).buttons]


async def test_random_weights_are_announced_loudly() -> None:
    store = InMemoryJobStore()
    job = await succeed(store, await submit(store), random_weights=True, weights="random")
    message = render_job(job)
    assert RANDOM_WEIGHTS_NOTE in message.embed["description"]
    assert "RANDOM" in (message.content or "")
    legacy = dataclasses.replace(job, result_meta={"weights": "random"})
    assert RANDOM_WEIGHTS_NOTE in render_job(legacy).embed["description"]


async def test_failed_job_says_why_in_member_words_without_internal_text() -> None:
    store = InMemoryJobStore()
    job = await fail(store, await submit(store), "EngineError: time limit of 900 s exceeded at step 12 (cuda:0)")
    message = render_job(job)
    text = _text(message)
    assert message.embed["title"] == "Failed"
    assert "time limit" in text and "smaller size" in text and "What to do" in text
    assert "cuda:0" not in text and "EngineError" not in text
    assert message.buttons == () and message.mention_user_id == USER_ID


async def test_unknown_failure_gets_a_generic_reason() -> None:
    store = InMemoryJobStore()
    job = await fail(store, await submit(store), "KeyError: 'x'")
    text = _text(render_job(job))
    assert "went wrong" in text and "KeyError" not in text


async def test_dead_job_explains_repeated_engine_stops() -> None:
    store = InMemoryJobStore()
    job = await succeed(store, await submit(store))
    dead = dataclasses.replace(job, state=JobState.DEAD, attempts=3, error="lease expired (worker w1)")
    text = _text(render_job(dead))
    assert "stopped" in text and "3 times" in text and "w1" not in text


async def test_cancelled_and_missing_image() -> None:
    store = InMemoryJobStore()
    job = await submit(store)
    job = await store.cancel(job.id)
    message = render_job(job)
    assert message.embed["title"] == "Cancelled" and message.buttons == ()
    done = await succeed(store, await submit(store))
    gone = without_image(render_job(done))
    assert "image" not in gone.embed and gone.image_sha is None and "no longer stored" in gone.embed["description"]


def test_progress_percent_is_bounded() -> None:
    from delivery._text import progress_bar

    assert progress_bar(-1) == "░" * 16 and progress_bar(2) == "█" * 16
    assert JobProgress(0, 0).percent == 0
