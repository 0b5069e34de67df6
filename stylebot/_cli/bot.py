"""`stylebot bot`: the Discord gateway client (slash commands, buttons); `bot sync`; `bot commands --json`.

    stylebot bot                    connect, migrate the database, sync commands when they changed, serve
    stylebot bot sync               push the application commands to Discord now, then exit
    stylebot bot commands --json    print the application-command payload (no token, no network)

The only module that turns settings into the bot's configuration. The token is never printed: a rejected one gives
one line and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from typing import Any

from stylebot.errors import UsageError
from stylebot.settings import Settings

__all__ = ["bot_config", "point_discord_at", "register"]

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg"
TOKEN_REJECTED = (
    "error: Discord rejected DISCORD_TOKEN (invalid, reset or revoked);"
    " copy a fresh one from the Developer Portal (Bot → Reset Token)\n"
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("bot", help="run the Discord bot (gateway client), or sync/print its commands")
    p.add_argument("--no-sync", action="store_true", help="do not sync application commands on start")
    sub = p.add_subparsers(dest="bot_command", metavar="ACTION")
    sub.add_parser("sync", help="sync the application commands with Discord now")
    commands_p = sub.add_parser("commands", help="print the application-command payload that sync would send")
    commands_p.add_argument("--json", action="store_true", help="as JSON (the only format)")
    p.set_defaults(func=run)


def bot_config(settings: Settings, *, sync_commands: bool = True) -> Any:
    from bot import BotConfig

    decode_budget = int(settings.decode_budget_mp * 1_000_000)
    if decode_budget < 1:
        raise UsageError(f"STYLEBOT_DECODE_BUDGET_MP must be positive, not {settings.decode_budget_mp:g}")
    return BotConfig(
        attachment_hosts=settings.attachment_hosts,
        owner_ids=frozenset(settings.owner_ids),
        max_size=settings.max_size,
        default_size=min(settings.default_size, settings.max_size),
        default_preset=settings.default_preset,
        max_queued_per_user=settings.max_queued_per_user,
        max_queued_per_guild=settings.max_queued_per_guild,
        cooldown_seconds=settings.cooldown_seconds,
        max_attempts=settings.max_attempts,
        sync_commands=sync_commands,
        challenge_voting_hours=settings.challenge_voting_hours,
        max_styles_per_guild=settings.max_styles_per_guild,
        decode_budget_pixels=decode_budget,
    )


def point_discord_at(api_base: str, gateway_url: str) -> None:
    """Send discord.py's REST, webhook and gateway traffic to another Discord-compatible endpoint (process-wide)."""
    import discord.gateway
    import discord.http
    import discord.webhook.async_
    import yarl

    if api_base.rstrip("/") != DEFAULT_API_BASE:
        discord.http.Route.BASE = api_base.rstrip("/")
        discord.webhook.async_.Route.BASE = api_base.rstrip("/")
    if gateway_url != DEFAULT_GATEWAY:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def run(args: argparse.Namespace, settings: Settings) -> int:
    action = getattr(args, "bot_command", None)
    if action == "commands":
        return asyncio.run(_print_commands(settings))
    if not settings.discord_token:
        raise UsageError(
            "DISCORD_TOKEN is not set; add it to .env (see the README's Discord setup) or run `stylebot demo`"
        )
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    sync = not args.no_sync
    return asyncio.run(_serve(settings, settings.discord_token, sync_only=action == "sync", sync=sync))


async def _print_commands(settings: Settings) -> int:
    from bot import Stylebot, command_payload

    client = Stylebot(bot_config(settings, sync_commands=False), store=None)
    await client.load_extensions()
    try:
        sys.stdout.write(json.dumps(command_payload(client.tree), indent=2, sort_keys=True) + "\n")
    finally:
        await client.close()
    return 1 if client.failed_extensions else 0


async def _serve(settings: Settings, token: str, *, sync_only: bool, sync: bool) -> int:
    import aiohttp
    import discord

    import jobqueue
    from bot import Stylebot

    kept = jobqueue.style_kept_refs(jobqueue.challenge_kept_refs())  # gc keeps challenges' and styles' pictures
    store = await jobqueue.open_store(settings.resolved_database_url, migrate=True, kept=kept)
    ops, metrics = await _start_ops(settings, store, lambda: client)
    config = bot_config(settings, sync_commands=sync and not sync_only)
    challenges, styles = jobqueue.SqlChallengeStore(store), jobqueue.SqlStyleStore(store)
    client = Stylebot(config, store, challenges=challenges, styles=styles, metrics=metrics)
    try:
        if sync_only:
            await client.login(token)
            await client.sync_commands_if_changed(force=True)
            return 0
        return await _until_stopped(client, token)
    except discord.LoginFailure:
        sys.stderr.write(TOKEN_REJECTED)
        return 2
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        sys.stderr.write(f"error: cannot reach Discord at {settings.discord_api_base} ({type(exc).__name__})\n")
        return 1
    except discord.PrivilegedIntentsRequired:
        sys.stderr.write("error: Discord refused the gateway intents; stylebot needs none of the privileged ones\n")
        return 2
    finally:
        await client.close()
        if ops is not None:
            await ops.stop()
        await store.close()


async def _start_ops(settings: Settings, store: Any, get_client: Any) -> tuple[Any, Any]:
    """The bot's /healthz and /metrics server (STYLEBOT_BOT_METRICS_PORT; 0 = off)."""
    if not settings.bot_metrics_port:
        return None, None
    from stylebot.ops import BotMetrics, OpsServer

    async def health() -> dict[str, Any]:
        client = get_client()
        await store.is_paused()  # the database answers
        ready = client.is_ready() and not client.is_closed()
        latency = client.latency
        return {
            "status": "ok" if ready else "connecting",
            "gateway_latency_ms": round(latency * 1000, 1) if latency == latency and latency != float("inf") else None,
            "guilds": len(client.guilds),
        }

    ops = OpsServer(
        role="bot", host=settings.metrics_host, port=settings.bot_metrics_port, health=health, stats=store.stats
    )
    try:
        await ops.start()
    except OSError as exc:
        logger.warning(
            "cannot serve /metrics on %s:%d (%s); running without",
            settings.metrics_host,
            settings.bot_metrics_port,
            exc.strerror,
        )
        return None, None
    return ops, BotMetrics(ops.registry)


async def _until_stopped(client: Any, token: str) -> int:
    """Run until SIGINT/SIGTERM (exit 0) or until the client stops on its own (its error propagates)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(client.start(token), name="discord-client")
    stopper = asyncio.create_task(stop.wait(), name="stop-signal")
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if stopper.done():
        logger.info("stopping the bot (signal)")
        await client.close()
        await asyncio.wait_for(runner, timeout=10)
        return 0
    stopper.cancel()
    runner.result()  # raises LoginFailure etc.
    return 1
