"""Member-facing wording shared by the renderers: durations, progress bars, settings and failure reasons."""

from __future__ import annotations

from typing import Any

from jobqueue import Job, JobState

__all__ = ["describe_failure", "duration", "progress_bar", "settings_lines"]


def duration(seconds: float) -> str:
    """`42 s`, `3 min 5 s`, `1 h 20 min`."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def progress_bar(fraction: float, width: int = 16) -> str:
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    return "█" * filled + "░" * (width - filled)


def settings_lines(params: dict[str, Any], meta: dict[str, Any] | None = None) -> list[str]:
    """The settings used, one short line each: `StyleParams.to_dict()`, refined by the result's metadata."""
    meta = meta or {}
    lines = [f"Preset: **{meta.get('preset') or params.get('preset', 'fast')}**"]
    size = meta.get("size")
    if isinstance(size, list | tuple) and len(size) == 2:
        lines.append(f"Size: **{size[0]} x {size[1]} px**")
    elif params.get("size"):
        lines.append(f"Size: **{params['size']} px** (short side)")
    steps = meta.get("steps") or params.get("steps")
    if steps:
        lines.append(f"Steps: **{steps}**")
    strength = params.get("strength", 1.0)
    if isinstance(strength, int | float):
        lines.append(f"Style strength: **{strength:g}x**")
    weights = params.get("style_weights")
    if isinstance(weights, list | tuple) and len(weights) > 1:
        lines.append("Style blend: **" + " / ".join(f"{100 * float(w):.0f}%" for w in weights) + "**")
    if params.get("preserve_colors"):
        lines.append("Preserve colours: **on**")
    if params.get("seed") is not None:
        lines.append(f"Seed: `{params['seed']}`")
    return lines


# Failure reasons as the worker records them (`Job.error`, an internal one-liner) → words for members.
# The internal text itself is never shown in Discord (STYLE.md, Errors).
_REASONS: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("time limit", "timed out", "timeout", "took longer"),
        "It took longer than the time limit allows.",
        "Try a smaller size or fewer steps, or the `fast` preset.",
    ),
    (
        ("out of memory", "oom", "memoryerror"),
        "The engine ran out of memory on an image this large.",
        "Try a smaller size.",
    ),
    (
        ("image", "decode", "pillow", "format"),
        "One of the images could not be read.",
        "Export it again as PNG or JPEG and send it once more.",
    ),
    (
        ("blob", "not found", "forgotten", "deleted"),
        "The source images are no longer stored.",
        "Send the images again with `/stylize`.",
    ),
]


def describe_failure(job: Job) -> tuple[str, str]:
    """(why, what to do) for a failed or dead job, in words a member understands."""
    error = (job.error or "").lower()
    if job.state is JobState.DEAD:
        tries = f" {job.attempts} times" if job.attempts > 1 else ""
        return (
            f"The engine stopped while working on this job{tries}, so it was set aside.",
            "Try again in a few minutes (re-run `/stylize`); if it keeps happening, tell a server admin.",
        )
    for keys, why, todo in _REASONS:
        if any(k in error for k in keys):
            return why, todo
    return (
        "Something went wrong on our side while making this image.",
        "Try again with `/stylize`; if it keeps happening, tell a server admin.",
    )
