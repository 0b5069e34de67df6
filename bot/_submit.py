"""Enqueue a job for an interaction that was deferred ephemerally, then post its public status message.

Shared by /stylize and the re-roll / stronger / weaker buttons: the member gets an ephemeral acknowledgement, the
channel gets a public message with position, ETA and a Cancel button, and that message's id is stored so that the
delivery loop (inside `stylebot engine`) edits it with progress and, at the end, the result.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from delivery import render_job, to_embed, to_view
from jobqueue import DeliveryTarget, Job, NewJob, TargetKind

from bot._policy import Policy

if TYPE_CHECKING:
    from bot._bot import Stylebot

__all__ = ["idempotency_key", "submit"]

logger = logging.getLogger(__name__)


def idempotency_key(interaction: discord.Interaction[Any]) -> str:
    return f"discord:{interaction.id}"


def _target(interaction: discord.Interaction[Any]) -> DeliveryTarget:
    return DeliveryTarget(
        kind=TargetKind.INTERACTION,
        application_id=interaction.application_id,
        interaction_id=interaction.id,
        interaction_token=interaction.token,
        token_created_at=interaction.created_at,
        channel_id=interaction.channel_id,
    )


async def submit(interaction: discord.Interaction[Stylebot], new: NewJob, policy: Policy, notes: list[str]) -> Job:
    """Enqueue `new` (limits checked atomically) and post the public status message; returns the job."""
    bot = interaction.client
    store = bot.store
    params = dict(new.params)
    if notes:
        params["notes"] = notes  # shown by delivery's renderer on every state of the message
    params["attachment_size_limit"] = interaction.filesize_limit  # the result must fit this server's upload limit
    new = dataclasses.replace(
        new,
        params=params,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        target=_target(interaction),
        idempotency_key=idempotency_key(interaction),
        max_attempts=bot.config.max_attempts,
    )
    job = await store.enqueue(new, limits=policy.limits())
    bot.count("enqueued")
    logger.info("queued job %d for user %s", job.id, job.user_id, extra={"job_id": job.id, "action": "enqueue"})
    if job.target.status_message_id is not None:  # the same interaction arrived twice: already announced
        return job
    position = await store.position(job.id)
    alive = await store.live_workers(within_seconds=bot.config.alive_within_seconds)
    rendered = render_job(job, position=position, workers_alive=len(alive))
    view = to_view(rendered)
    if view is not None:
        view.stop()  # never kept in the client's view store: the persistent dynamic item answers clicks
    ack = f"Queued as job #{job.id}. Its progress is shown below."
    if not alive:
        ack += " No engine is running right now; it starts when one is back."
    ack = "\n".join([ack, *notes])
    await interaction.edit_original_response(content=ack)
    try:
        message = await interaction.followup.send(
            content=rendered.content, embed=to_embed(rendered), view=view or discord.utils.MISSING, wait=True
        )
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:  # the job still runs; delivery posts
        logger.warning("could not post the status message of job %d (%s)", job.id, type(exc).__name__)
        return job
    await store.set_status_message(job.id, message.id)
    return job
