"""Building and running delivery from plain settings values: what `stylebot engine` calls."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from delivery._loop import DeliveryLoop, DeliveryStore
from delivery._poster import DiscordPoster
from delivery.errors import PermanentDeliveryError, RetryableDeliveryError

__all__ = ["DEFAULT_API_BASE", "configure_api_base", "login_client", "run_delivery"]

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://discord.com/api/v10"


def configure_api_base(api_base: str) -> str:
    """Point discord.py's REST routes (bot API and webhooks) at `api_base` (the stand-in or a proxy); process-wide.

    Returns the previous base so a caller can restore it.
    """
    previous = discord.http.Route.BASE
    base = api_base.rstrip("/")
    discord.http.Route.BASE = base
    discord.webhook.async_.Route.BASE = base  # the same class today; kept explicit in case discord.py splits them
    return previous


async def login_client(token: str, *, attempts: int | None = None, delay: float = 2.0) -> discord.Client:
    """A `discord.Client` logged in over REST only (never connected to the gateway).

    Network trouble and Discord 5xx are retried with backoff (capped at a minute), `attempts` times or, by default,
    until it works: the engine keeps stylizing meanwhile and delivers afterwards. A rejected token raises
    `PermanentDeliveryError` at once.
    """
    attempt = 0
    while True:
        attempt += 1
        client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30.0)
        try:
            async with asyncio.timeout(30):
                await client.login(token)
            return client
        except discord.LoginFailure as exc:
            await client.close()
            raise PermanentDeliveryError("DISCORD_TOKEN was rejected by Discord; check the bot token") from exc
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            await client.close()
            if attempts is not None and attempt >= attempts:
                raise RetryableDeliveryError(f"could not log in to Discord after {attempt} attempts: {exc}") from exc
            logger.warning("delivery: Discord login failed (%s); retrying in %.0f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)


async def run_delivery(
    store: DeliveryStore,
    *,
    token: str | None,
    api_base: str = DEFAULT_API_BASE,
    poll_interval: float = 1.0,
    progress_interval: float = 3.0,
    worker_id: str | None = None,
    wake: asyncio.Event | None = None,
) -> None:
    """Run the delivery loop until cancelled; without a token, log once that delivery is disabled and return.

    `worker_id` is the id of the worker in the same process: the loop edits only that worker's running jobs and
    competes for editing the queued ones (see `delivery._editors`). Setting `wake` starts the loop's next pass at
    once (the engine's preview lane sets it when it recorded a preview).
    """
    if not token:
        logger.warning("DISCORD_TOKEN is not set: delivery is disabled, results stay in the queue (see `/jobs`)")
        return
    previous = configure_api_base(api_base)
    try:
        client = await login_client(token)
        try:
            poster = DiscordPoster(client)
            loop = DeliveryLoop(
                store,
                poster,
                poll_interval=poll_interval,
                progress_interval=progress_interval,
                worker_id=worker_id,
                wake=wake,
            )
            await loop.run()
        finally:
            await client.close()
    finally:
        configure_api_base(previous)
