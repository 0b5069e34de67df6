"""Batches: a job's output does not depend on its batch-mates; failures stay with their job; OOM falls back."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import engine
from engine import Cancelled, OutOfMemory, Progress, StyleParams
from tests.engine.conftest import smooth_image

P = StyleParams(preset="fast", size=32, steps=6, device="cpu")


def test_a_jobs_output_does_not_depend_on_its_batch_mates(content, style) -> None:
    """Short run: batched and alone agree to rounding (a long non-convex run amplifies rounding, not the mates)."""
    short = dataclasses.replace(P, steps=3, seed=3)
    other_style = smooth_image(32, 32, seed=6)
    mine = (content, [style], short)
    alone = engine.stylize_batch([mine], weights="random")[0]
    mate = (smooth_image(40, 48, seed=8), [style, other_style], dataclasses.replace(short, seed=9, strength=3.0, tv=5))
    other_shape = (smooth_image(48, 40, seed=5), [other_style], short)
    together = engine.stylize_batch([other_shape, mine, mate], weights="random")
    assert all(isinstance(r, engine.StylizeResult) for r in together)
    assert isinstance(alone, engine.StylizeResult) and isinstance(together[1], engine.StylizeResult)
    diff = (together[1].image - alone.image).abs()
    assert diff.mean() < 1e-3 and diff.max() < 2e-2, (diff.mean(), diff.max())
    assert together[1].final_loss == pytest.approx(alone.final_loss, rel=1e-2)
    assert (together[2].image - alone.image).abs().mean() > 0.01  # the mate really was different work


def test_batched_long_runs_differ_only_as_much_as_rounding_noise_does(content, style) -> None:
    """Over a longer run, the batch-mates' effect is no bigger than a 1e-6 change of the job's own pixels."""
    mine = (content, [style], dataclasses.replace(P, steps=30, seed=3))
    alone = engine.stylize_batch([mine], weights="random")[0]
    nudged = engine.stylize_batch([(content + 1e-6, [style], mine[2])], weights="random")[0]
    mate = (smooth_image(40, 48, seed=8), [smooth_image(32, 32, seed=6)], dataclasses.replace(P, seed=9, strength=3))
    together = engine.stylize_batch([mine, mate], weights="random")[0]
    assert isinstance(alone, engine.StylizeResult) and isinstance(nudged, engine.StylizeResult)
    assert isinstance(together, engine.StylizeResult)
    noise = (alone.image - nudged.image).abs().mean().item()
    assert (together.image - alone.image).abs().mean().item() <= 3 * noise + 1e-4
    assert together.final_loss == pytest.approx(alone.final_loss, rel=0.05)


def test_cancelling_one_item_leaves_the_others_running(content, style) -> None:
    seen: dict[int, list[int]] = {0: [], 1: []}

    def on_progress(index: int, p: Progress) -> None:
        seen[index].append(p.step)
        if index == 0 and p.step == 2:
            raise Cancelled("job 1 cancelled")

    results = engine.stylize_batch([(content, [style], P), (content, [style], P)], weights="random",
                                   on_progress=on_progress)  # fmt: skip
    assert isinstance(results[0], Cancelled)
    assert isinstance(results[1], engine.StylizeResult)
    assert seen[0] == [1, 2]
    assert seen[1] == list(range(1, results[1].steps + 1)) and results[1].steps > 2


def test_bad_items_fail_alone(content, style) -> None:
    results = engine.stylize_batch(
        [(content, [], P), (content, [style], P), (content, [style], dataclasses.replace(P, device="tpu"))],
        weights="random",
    )
    assert isinstance(results[0], engine.EngineError) and isinstance(results[2], engine.EngineError)
    assert isinstance(results[1], engine.StylizeResult)


def test_compatible_compares_what_shapes_the_batch() -> None:
    assert engine.compatible(P, dataclasses.replace(P, seed=4, strength=2.0, tv=1.0, preserve_colors=True))
    assert not engine.compatible(P, dataclasses.replace(P, size=64))
    assert not engine.compatible(P, dataclasses.replace(P, preset="seed"))
    assert not engine.compatible(P, dataclasses.replace(P, pooling="avg"))
    assert not engine.compatible(P, dataclasses.replace(P, steps=7))


def test_out_of_memory_retries_smaller_and_says_so(content, style) -> None:
    calls = {"n": 0}

    def oom_once(p: Progress) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    result = engine.stylize(content, [style], dataclasses.replace(P, size=48), weights="random", on_progress=oom_once)
    assert result.notes[0] == "out of memory at 48 px, retried at 36 px"
    assert min(result.size) == 36


def test_out_of_memory_everywhere_ends_in_a_clear_error(content, style) -> None:
    def always(p: Progress) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    with pytest.raises(OutOfMemory, match="out of memory"):
        engine.stylize(content, [style], dataclasses.replace(P, size=40), weights="random", on_progress=always)
