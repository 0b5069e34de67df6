"""Showing instant previews: one edit per job, paced per channel, and the files a status edit carries.

A job's instant preview (`jobqueue.PreviewLane`) is shown by the loop that edits its status message
(`delivery._editors.EditorRule`), once (`store.mark_preview_shown`). A burst of new previews in one channel (50 jobs
queued at once) is spread out by `ChannelPacer`: at most one preview edit per channel every `interval` seconds, well
inside Discord's per-channel edit limit, so position, progress and results still get through. Later edits of the
same message (position, progress) carry the preview again, since a Discord edit replaces all attachments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from jobqueue import BlobNotFound

from delivery._render import PREVIEW_FILENAME, FilePayload, RenderedMessage

__all__ = ["ChannelPacer", "with_status_files"]


class ChannelPacer:
    """At most one event per channel every `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[int, float] = {}

    def allow(self, channel: int, now: float) -> bool:
        """True (and the channel's clock restarts) when the channel's last event is `interval` seconds old."""
        last = self._last.get(channel)
        if last is not None and now - last < self.interval:
            return False
        self._last[channel] = now
        if len(self._last) > 4096:  # forget channels quiet for a while
            self._last = {c: t for c, t in self._last.items() if now - t < self.interval}
        return True


async def with_status_files(message: RenderedMessage, get_blob: Callable[[str], Awaitable[bytes]]) -> RenderedMessage:
    """A queued or running job's message with the files its embed shows (instant preview, progress thumbnail);
    a picture that is no longer stored is left out."""
    files = []
    shown = ((message.image, message.image_sha), (message.thumbnail or PREVIEW_FILENAME, message.thumbnail_sha))
    for name, sha in shown:
        if name and sha:
            try:
                files.append(FilePayload(name, await get_blob(sha)))
            except BlobNotFound:
                continue
    return message.with_files(*files)
