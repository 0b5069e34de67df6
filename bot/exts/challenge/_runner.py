"""Background work of challenges, in the bot: the two deadlines, gallery posts of finished entries, results.

Everything it does is driven by the database, so a restart loses nothing: on start it processes whatever fell due
while the bot was down (`ChallengeStore.due`), then sleeps until the next deadline of any open challenge (or a short
tick, to post entries as their jobs finish). `wake()` makes it look again at once (a challenge was started, ended,
extended). Each step is recorded after it is posted (`mark_entry_posted`, `mark_submissions_announced`,
`mark_announced`), so a crash repeats at most the one post in flight.

One bad entry or challenge never holds up the others: an entry whose stylized picture is gone from the database is
withdrawn (its author is told, the slot is free again); a post Discord refuses for good (4xx) is recorded as done; a
transient failure (database, Discord 5xx/429) backs that entry off (tick * 2^n, at most 5 minutes) while the others go
on; an unexpected error is retried the same way and the entry skipped after `GIVE_UP_AFTER` tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from jobqueue import (
    BlobNotFound,
    Challenge,
    ChallengeClosed,
    ChallengeEvent,
    ChallengeState,
    Entry,
    JobQueueError,
    JobState,
    next_event,
)

from bot.exts.challenge._render import (
    QUIET,
    announcement_embed,
    entry_content,
    entry_view,
    only_users,
    results_message,
    save_view,
)
from bot.exts.challenge._time import discord_time

if TYPE_CHECKING:
    from jobqueue import ChallengeStore, JobStore

__all__ = ["ChallengeRunner"]

logger = logging.getLogger(__name__)

_FAILED = (JobState.FAILED, JobState.DEAD)
GIVE_UP_AFTER = 5  # tries of one entry that failed unexpectedly before it is skipped for good
MAX_BACKOFF = 300.0


def _transient(exc: BaseException) -> bool:
    """Worth repeating as is: the database hiccuped, Discord is down or rate-limits, the network timed out."""
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500 or exc.status == 429
    transient = JobQueueError | OSError | TimeoutError | aiohttp.ClientError
    return isinstance(exc, transient) and not isinstance(exc, BlobNotFound)


def _permanent_http(exc: discord.HTTPException) -> bool:
    """Discord refused the post for good (gone, forbidden, too large, invalid): repeating cannot help."""
    return 400 <= exc.status < 500 and exc.status != 429


class ChallengeRunner:
    def __init__(self, bot: Any, store: ChallengeStore, jobs: JobStore, *, tick: float = 2.0) -> None:
        self.bot = bot
        self.store = store
        self.jobs = jobs
        self.tick = tick
        self._wake = asyncio.Event()
        self._announcing = asyncio.Lock()
        self._backoff: dict[int, tuple[int, float]] = {}  # entry id → (failed tries, monotonic time of the next)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="challenge-runner")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                clean = await self.run_once()
                delay = await self._delay() if clean else self.tick  # a deadline that failed: not in a tight loop
            except (JobQueueError, discord.HTTPException) as exc:
                logger.warning("challenge runner step failed (%s); retrying", type(exc).__name__)
                delay = self.tick
            except Exception:  # a bug must not stop deadlines for good: log it loudly and try again
                logger.exception("challenge runner step failed unexpectedly; retrying")
                delay = max(self.tick, 5.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _delay(self) -> float:
        """Seconds until the next deadline, at most one tick."""
        now = self.store.now()
        delay = self.tick
        for challenge in await self.store.list_open():
            upcoming = next_event(challenge)
            if upcoming is not None:
                delay = min(delay, max(0.0, (upcoming[1] - now).total_seconds()))
        return delay

    async def run_once(self) -> bool:
        """Post finished entries, then process every due deadline (in order); False if a deadline failed."""
        for entry in await self.store.entries_to_post():
            await self._try_post_entry(entry)
        clean = True
        for due in await self.store.due():
            try:
                await self.process(due.challenge, due.event)
            except Exception as exc:  # the next challenge's deadline must not wait behind this one
                clean = False
                logger.warning(
                    "challenge %s: %s not processed yet (%s: %s); trying again in %.0f s",
                    due.challenge.id,
                    due.event.value,
                    type(exc).__name__,
                    exc,
                    self.tick,
                    exc_info=None if _transient(exc) else exc,
                )
        return clean

    async def _try_post_entry(self, entry: Entry) -> None:
        """`post_entry`, with this entry backed off (or, after repeated unexpected errors, skipped) on failure."""
        tries, next_try = self._backoff.get(entry.id, (0, 0.0))
        if time.monotonic() < next_try:
            return
        try:
            await self.post_entry(entry)
        except Exception as exc:
            tries += 1
            transient = _transient(exc)
            if not transient and tries >= GIVE_UP_AFTER:
                self._backoff.pop(entry.id, None)
                logger.error(
                    "challenge %s: entry %s skipped after %d failed tries to post it",
                    entry.challenge_id,
                    entry.id,
                    tries,
                    exc_info=exc,
                )
                await self.store.mark_entry_posted(entry.id, message_id=None)
                return
            delay = min(MAX_BACKOFF, self.tick * 2**tries)
            self._backoff[entry.id] = (tries, time.monotonic() + delay)
            logger.warning(
                "challenge %s: entry %s not posted (%s: %s); trying it again in %.0f s, the other entries go on",
                entry.challenge_id,
                entry.id,
                type(exc).__name__,
                exc,
                delay,
                exc_info=None if transient else exc,
            )
        else:
            self._backoff.pop(entry.id, None)

    # entries
    async def post_entry(self, entry: Entry) -> None:
        challenge = await self.store.get(entry.challenge_id)
        message_id: int | None = None
        try:
            if entry.finished and challenge.is_open:  # after the end an entry is no longer shown or voted on
                try:
                    message_id = await self._send_entry(challenge, entry)
                except BlobNotFound:
                    await self._drop_lost_entry(challenge, entry)
            elif entry.active and entry.job_state in _FAILED and challenge.is_open:
                await self.channel(challenge).send(
                    f"<@{entry.user_id}>, your entry #{entry.id} could not be stylized, sorry. "
                    "It does not count against your entries: submit it again or try another picture.",
                    allowed_mentions=only_users(entry.user_id),
                    nonce=f"sbe{entry.id}",
                )
        except discord.HTTPException as exc:
            if not _permanent_http(exc):
                raise
            logger.warning(  # repeating cannot help: record it and move on
                "challenge %s: entry %s not posted (HTTP %s: gallery gone, not allowed or post refused: %s)",
                challenge.id,
                entry.id,
                exc.status,
                exc.text,
            )
        await self.store.mark_entry_posted(entry.id, message_id=message_id)
        if entry.job_id is not None:
            with contextlib.suppress(JobQueueError):
                await self.jobs.mark_delivered(entry.job_id)

    async def _drop_lost_entry(self, challenge: Challenge, entry: Entry) -> None:
        """The entry's stylized picture is gone from the database: tell the author, withdraw it (frees the slot)."""
        logger.warning(
            "challenge %s: entry %s skipped: its stylized picture (job %s) is no longer in the database; "
            "withdrawn so that its author can submit again",
            challenge.id,
            entry.id,
            entry.job_id,
        )
        await self.channel(challenge).send(
            f"<@{entry.user_id}>, your entry #{entry.id} could not be shown, sorry: its picture was lost. "
            "It no longer counts against your entries: submit it again or try another picture.",
            allowed_mentions=only_users(entry.user_id),
            nonce=f"sbe{entry.id}",
        )
        with contextlib.suppress(ChallengeClosed):
            await self.store.withdraw_entry(entry.id, user_id=entry.user_id)

    async def _send_entry(self, challenge: Challenge, entry: Entry) -> int:
        assert entry.result_sha is not None
        data = await self.jobs.get_blob(entry.result_sha)
        locked = not challenge.is_open or self.store.now() >= challenge.voting_close_at
        embed = discord.Embed(colour=discord.Colour.from_rgb(0xE8, 0x7A, 0x3D))
        embed.set_image(url=f"attachment://entry-{entry.id}.png")
        message = await self.channel(challenge).send(
            entry_content(entry),
            embed=embed,
            file=discord.File(io.BytesIO(data), filename=f"entry-{entry.id}.png"),
            view=entry_view(entry.id, entry.votes, locked=locked),
            allowed_mentions=QUIET,
            nonce=f"sbe{entry.id}",  # a repeat after a crash returns the earlier post (Discord's enforced nonce)
        )
        logger.info("challenge %s: posted entry %s as message %s", challenge.id, entry.id, message.id)
        return message.id

    def channel(self, challenge: Challenge, *, gallery: bool = True) -> discord.PartialMessageable:
        channel_id = challenge.post_channel_id if gallery else challenge.channel_id
        return self.bot.get_partial_messageable(channel_id, guild_id=challenge.guild_id)

    # deadlines
    async def process(self, challenge: Challenge, event: ChallengeEvent) -> None:
        if event is ChallengeEvent.SUBMISSIONS_CLOSED:
            await self.channel(challenge).send(
                f"⏰ Submissions to **{challenge.title}** are closed. Entries still being painted will appear here; "
                f"keep voting until {discord_time(challenge.voting_close_at)} "
                f"({discord_time(challenge.voting_close_at, 'R')}).",
                allowed_mentions=QUIET,
                nonce=f"sbs{challenge.id}",
            )
            await self.store.mark_submissions_announced(challenge.id)
            return
        if challenge.is_open:
            try:
                challenge = await self.store.end(challenge.id)
            except ChallengeClosed:
                challenge = await self.store.get(challenge.id)
        await self.announce(challenge)

    async def announce(self, challenge: Challenge) -> None:
        """Post the results (or the cancellation), lock the Vote buttons, and record it (once per challenge)."""
        async with self._announcing:  # /challenge end and the deadline may race: the second one finds it done
            challenge = await self.store.get(challenge.id)
            if challenge.announced_at is None:
                await self._announce(challenge)

    async def _announce(self, challenge: Challenge) -> None:
        try:
            await self._post_results(challenge)
        except (discord.NotFound, discord.Forbidden) as exc:  # the channel is gone or closed to the bot
            logger.warning("challenge %s: results not posted (HTTP %s)", challenge.id, exc.status)
        await self.store.mark_announced(challenge.id)
        await self.refresh_announcement(challenge)
        await self._lock_entries(challenge)
        logger.info("challenge %s: results announced (%s)", challenge.id, challenge.state.value)

    async def _post_results(self, challenge: Challenge) -> None:
        ranked = await self.store.leaderboard(challenge.id)
        if challenge.state is ChallengeState.CANCELLED:
            await self.channel(challenge, gallery=False).send(
                f"🚫 The challenge **{challenge.title}** was cancelled by the organisers; there are no winners.",
                allowed_mentions=QUIET,
                nonce=f"sbr{challenge.id}",
            )
        else:
            text, embeds = results_message(challenge, ranked)
            files = []
            for r in ranked[:3]:
                try:
                    data = await self.jobs.get_blob(r.entry.result_sha or "")
                except BlobNotFound:  # announce the winners anyway, without this picture
                    logger.warning("challenge %s: winner %s announced without its picture (gone)", challenge.id, r.rank)
                    continue
                files.append(discord.File(io.BytesIO(data), f"winner-{r.rank}.png"))
            winners = only_users(*(r.entry.user_id for r in ranked[:3]))
            await self.channel(challenge, gallery=False).send(
                text,
                embeds=embeds,
                files=files,
                view=save_view(challenge.id),
                allowed_mentions=winners,
                nonce=f"sbr{challenge.id}",
            )

    async def refresh_announcement(self, challenge: Challenge) -> None:
        """Show the current deadlines (after an extension) or the outcome on the announcement."""
        if challenge.announcement_message_id is None:
            return
        message = self.channel(challenge, gallery=False).get_partial_message(challenge.announcement_message_id)
        try:
            await message.edit(embed=announcement_embed(challenge), allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            logger.info("challenge %s: announcement not updated (HTTP %s)", challenge.id, exc.status)

    async def _lock_entries(self, challenge: Challenge) -> None:
        channel = self.channel(challenge)
        for entry in await self.store.list_entries(challenge.id):
            if entry.message_id is None:
                continue
            try:
                await channel.get_partial_message(entry.message_id).edit(
                    view=entry_view(entry.id, entry.votes, locked=True)
                )
            except discord.HTTPException as exc:
                logger.info("challenge %s: could not lock entry %s (HTTP %s)", challenge.id, entry.id, exc.status)
