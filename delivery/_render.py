"""What a job's public message looks like in each state: pure functions from a `Job` to plain data.

`render_job(job, position=…)` returns a `RenderedMessage` (content, an embed as Discord JSON, buttons with custom ids
from `delivery.custom_ids`, and the names of the image files the embed shows). The bot renders the first status
message with it; the delivery loop renders progress and the final result, loads the files and posts. Nothing here
does I/O; `delivery.to_embed` / `delivery.to_view` turn a `RenderedMessage` into discord.py objects.

Conventions read from the job (written by the bot and the worker):
- `job.params`: the `StyleParams` dict; optional `attachment_size_limit` (bytes, from the interaction), `notes`
  (list of strings, e.g. "size clamped to 1024 px") and `animated` / `frames` (an animated content: progress is
  then counted in frames, and the result is an animated GIF or WebP).
- `job.result_meta`: optional `run_seconds`, `notes`, `random_weights` (bool) or `weights` ("random" = untrained).
- `job.preview_sha`: the instant preview (`jobqueue.PreviewLane`); while the job waits or runs, the embed shows it as
  its image (`instant-<id>.jpg`, labelled as the instant preview) and the optimisation's own progress preview as the
  thumbnail. The result replaces both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from jobqueue import Job, JobState, Position

from delivery._text import describe_failure, duration, progress_bar, settings_lines
from delivery.custom_ids import JobAction, job_button_id, save_style_id

__all__ = [
    "COLORS",
    "INSTANT_NOTE",
    "RANDOM_WEIGHTS_NOTE",
    "Button",
    "FilePayload",
    "RenderedMessage",
    "instant_filename",
    "random_weights_used",
    "render_job",
    "result_filename",
    "without_image",
]

COLORS = {
    "queued": 0x5865F2,
    "running": 0xFEE75C,
    "succeeded": 0x57F287,
    "random": 0xE67E22,
    "failed": 0xED4245,
    "cancelled": 0x95A5A6,
}
RANDOM_WEIGHTS_NOTE = (
    "⚠️ **Made with RANDOM (untrained) weights** — this is a test setup, not a real style transfer. "
    "An admin should install the pretrained VGG19 weights (`STYLEBOT_WEIGHTS=imagenet`)."
)
PREVIEW_FILENAME = "preview.png"
INSTANT_NOTE = "⚡ **Instant preview** (a feed-forward network, in about a second). The full stylization follows."


@dataclass(frozen=True)
class Button:
    label: str
    custom_id: str
    style: str = "secondary"  # "primary" | "secondary" | "success" | "danger"
    emoji: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class FilePayload:
    filename: str
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"FilePayload({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class RenderedMessage:
    """One message as plain data. `image`/`thumbnail` name files the embed shows via `attachment://<name>`."""

    job_id: int
    state: str
    content: str | None
    embed: dict[str, Any]
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    image_sha: str | None = None  # blob behind `image` (the result; the instant preview while queued or running)
    thumbnail: str | None = None
    thumbnail_sha: str | None = None  # blob behind `thumbnail` (the progress preview)
    mention_user_id: int | None = None
    files: tuple[FilePayload, ...] = ()  # filled by the delivery loop before posting

    def with_files(self, *files: FilePayload) -> RenderedMessage:
        return replace(self, files=tuple(files))


def result_filename(job: Job, ext: str = "png") -> str:
    return f"stylebot-{job.id}.{ext.lstrip('.').lower()}"


def random_weights_used(job: Job) -> bool:
    meta = job.result_meta or {}
    return bool(meta.get("random_weights")) or str(meta.get("weights", "")).lower() == "random"


def render_job(
    job: Job,
    *,
    position: Position | None = None,
    workers_alive: int | None = None,
    image_name: str | None = None,
) -> RenderedMessage:
    """The message for `job` in its current state.

    `position` (from `store.position`) and `workers_alive` (from `store.live_workers`) only matter while queued;
    `image_name` is the result's attachment name (default `stylebot-<id>.png`; pass the re-encoded name).
    """
    if job.state is JobState.QUEUED:
        return _queued(job, position, workers_alive)
    if job.state is JobState.RUNNING:
        return _running(job)
    if job.state is JobState.SUCCEEDED:
        return _succeeded(job, image_name or result_filename(job))
    if job.state is JobState.CANCELLED:
        return _cancelled(job)
    return _failed(job)


def _embed(job: Job, title: str, description: str, color: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    embed: dict[str, Any] = {"title": title, "description": description, "color": COLORS[color]}
    if fields:
        embed["fields"] = fields
    embed["footer"] = {"text": f"Job #{job.id}"}
    return embed


def _field(name: str, value: str, inline: bool = True) -> dict[str, Any]:
    return {"name": name, "value": value[:1024], "inline": inline}


def _notes(job: Job) -> list[str]:
    notes: list[str] = []
    for source in (job.params.get("notes"), (job.result_meta or {}).get("notes")):
        if isinstance(source, list | tuple):
            notes.extend(str(n) for n in source if str(n) not in notes)
        elif isinstance(source, str) and source not in notes:
            notes.append(source)
    return notes


def _cancel_button(job: Job) -> Button:
    return Button("Cancel", job_button_id(job.id, JobAction.CANCEL), style="danger", emoji="✖️")


def instant_filename(job: Job) -> str:
    return f"instant-{job.id}.jpg"


def _with_instant(job: Job, message: RenderedMessage) -> RenderedMessage:
    """A waiting or running job's message with its instant preview as the embed's image (see the module docstring)."""
    if not job.preview_sha or job.cancel_requested:
        return message
    name = instant_filename(job)
    description = f"{message.embed.get('description', '')}\n\n{INSTANT_NOTE}".strip()
    embed = {**message.embed, "description": description, "image": {"url": f"attachment://{name}"}}
    return replace(message, embed=embed, image=name, image_sha=job.preview_sha)


def _queued(job: Job, position: Position | None, workers_alive: int | None) -> RenderedMessage:
    lines = []
    if position is not None:
        ahead = "nobody is ahead of you" if position.ahead == 0 else f"{position.ahead} ahead of you"
        lines.append(f"You are **#{position.position}** in line ({ahead}).")
        if position.eta_seconds is not None:
            lines.append(f"Starts in about **{duration(position.eta_seconds)}**.")
        alive = position.workers_alive if workers_alive is None else workers_alive
    else:
        lines.append("Your job is in the queue.")
        alive = workers_alive
    if alive == 0:
        lines.append("⏸️ No engine is running right now: your job waits and starts as soon as one is back.")
    fields = [_field("Settings", "\n".join(settings_lines(job.params)), inline=False)]
    embed = _embed(job, "Queued", "\n".join(lines), "queued", fields)
    return _with_instant(job, RenderedMessage(job.id, job.state.value, None, embed, (_cancel_button(job),)))


def _running(job: Job) -> RenderedMessage:
    progress = job.progress
    if job.cancel_requested:
        description = "Cancelling… the engine stops within a few seconds."
    elif progress is None or not progress.total:
        description = "Starting…"
    elif job.params.get("animated"):  # animated jobs report frames finished (engine._animation_job)
        description = (
            f"Frame **{min(progress.step + 1, progress.total)}/{progress.total}** · **{progress.percent}%**\n"
            f"`{progress_bar(progress.step / progress.total)}`"
        )
    else:
        description = (
            f"Step **{progress.step}/{progress.total}** · **{progress.percent}%**\n"
            f"`{progress_bar(progress.step / progress.total)}`"
        )
    fields = [_field("Settings", "\n".join(settings_lines(job.params)), inline=False)]
    embed = _embed(job, "Stylizing…", description, "running", fields)
    thumbnail = thumbnail_sha = None
    if progress is not None and progress.preview_sha and not job.cancel_requested:
        thumbnail, thumbnail_sha = PREVIEW_FILENAME, progress.preview_sha
        embed["thumbnail"] = {"url": f"attachment://{PREVIEW_FILENAME}"}
    buttons = () if job.cancel_requested else (_cancel_button(job),)
    message = RenderedMessage(
        job.id, job.state.value, None, embed, buttons, thumbnail=thumbnail, thumbnail_sha=thumbnail_sha
    )
    return _with_instant(job, message)


def _run_seconds(job: Job) -> float | None:
    meta = job.result_meta or {}
    for key in ("run_seconds", "seconds"):
        value = meta.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    if job.started_at and job.finished_at:
        return (job.finished_at - job.started_at).total_seconds()
    return None


def _succeeded(job: Job, image_name: str) -> RenderedMessage:
    random = random_weights_used(job)
    lines = [RANDOM_WEIGHTS_NOTE] if random else []
    lines.append("Here is your stylized animation." if job.params.get("animated") else "Here is your stylized image.")
    fields = [_field("Settings", "\n".join(settings_lines(job.params, job.result_meta)), inline=False)]
    seconds = _run_seconds(job)
    if seconds is not None:
        fields.append(_field("Run time", duration(seconds)))
    notes = _notes(job)
    if notes:
        fields.append(_field("Notes", "\n".join(f"• {n}" for n in notes), inline=False))
    embed = _embed(job, "Done", "\n".join(lines), "random" if random else "succeeded", fields)
    embed["image"] = {"url": f"attachment://{image_name}"}
    buttons = (
        Button("Re-roll", job_button_id(job.id, JobAction.REROLL), style="primary", emoji="🎲"),
        Button("Stronger style", job_button_id(job.id, JobAction.STRONGER), emoji="🔼"),
        Button("Weaker style", job_button_id(job.id, JobAction.WEAKER), emoji="🔽"),
    )
    if job.guild_id is not None and job.style_shas:  # organisers add its style picture to the server's library
        buttons += (Button("Save as style", save_style_id("job", job.id), emoji="💾"),)
    content = "⚠️ RANDOM WEIGHTS — test output only" if random else None
    return RenderedMessage(
        job.id,
        job.state.value,
        content,
        embed,
        buttons,
        image=image_name,
        image_sha=job.result_sha,
        mention_user_id=job.user_id,
    )


def _failed(job: Job) -> RenderedMessage:
    why, todo = describe_failure(job)
    title = "Failed" if job.state is JobState.FAILED else "Could not finish"
    embed = _embed(job, title, f"{why}\n\n**What to do:** {todo}", "failed", [])
    return RenderedMessage(job.id, job.state.value, None, embed, mention_user_id=job.user_id)


def _cancelled(job: Job) -> RenderedMessage:
    embed = _embed(job, "Cancelled", "This job was cancelled.", "cancelled", [])
    return RenderedMessage(job.id, job.state.value, None, embed)


def without_image(message: RenderedMessage) -> RenderedMessage:
    """The result message when its image is no longer stored (deleted by `/forget` or retention)."""
    embed = {k: v for k, v in message.embed.items() if k != "image"}
    embed["description"] = f"{embed.get('description', '')}\n\nThe image itself is no longer stored.".strip()
    return replace(message, embed=embed, image=None, image_sha=None, files=())
