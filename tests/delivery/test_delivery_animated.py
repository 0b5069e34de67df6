"""Animated results: progress in frames, the result named and re-encoded as an animation."""

from __future__ import annotations

from delivery import fit_attachment, render_job
from engine.animation import decode_animation, encode_animation
from jobqueue.testing import InMemoryJobStore
from tests.delivery.helpers import run_job, submit, succeed
from tests.engine.animated import panning_frames


async def test_an_animated_job_shows_the_frame_it_is_on() -> None:
    store = InMemoryJobStore()
    job = await submit(store, animated=True, frames=24)
    await run_job(store, job, step=6, total=24, preview=b"\x89PNG frame 6")
    description = render_job(await store.get(job.id)).embed["description"]
    assert "Frame **7/24**" in description and "25%" in description


async def test_an_animated_result_is_named_gif_and_says_animation() -> None:
    store = InMemoryJobStore()
    job = await submit(store, animated=True, frames=3)
    data, ext = encode_animation(panning_frames(3), [80] * 3, 0, max_bytes=10**7, prefer="gif")
    job = await succeed(store, job, data)
    fitted, ext = fit_attachment(data, 10**7)
    message = render_job(job, image_name=f"stylebot-{job.id}.{ext}")
    assert (fitted, ext) == (data, "gif") and message.image == f"stylebot-{job.id}.gif"
    assert "stylized animation" in message.embed["description"]


def test_an_animation_over_the_upload_limit_is_re_encoded_as_a_smaller_animation() -> None:
    frames = [f.resize((160, 132)) for f in panning_frames(8)]
    data, _ = encode_animation(frames, [50] * 8, 1, max_bytes=10**7, prefer="gif")
    fitted, ext = fit_attachment(data, len(data) // 3)
    out = decode_animation(fitted)
    assert len(fitted) <= len(data) // 3 and ext in ("gif", "webp")
    assert len(out.frames) == 8 and out.durations == (50,) * 8 and out.loop == 1
