"""`Stylebot`: the gateway client. Loads each extension, registers persistent views, syncs commands when changed."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from delivery import custom_ids
from discord import app_commands
from discord.ext import commands

from bot._config import BotConfig
from bot._decode_budget import PixelBudget
from bot._invite import invite_url
from bot.exts import EXTENSIONS

if TYPE_CHECKING:
    from jobqueue import ChallengeStore, JobStore, StyleStore

    from bot.exts.styles import StyleLibrary

__all__ = ["COMMANDS_HASH_KEY", "Stylebot", "command_payload", "payload_hash"]

logger = logging.getLogger(__name__)

COMMANDS_HASH_KEY = "discord.commands_hash"


def command_payload(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """The global application-command payload that `tree.sync()` would send (no network)."""
    return [command.to_dict(tree) for command in tree.get_commands()]


def payload_hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Stylebot(commands.Bot):
    """The bot. Needs only the `guilds` intent: it reads slash-command interactions, never message content."""

    def __init__(
        self,
        config: BotConfig,
        store: JobStore | None,
        *,
        challenges: ChallengeStore | None = None,
        styles: StyleStore | None = None,
        extensions: Iterable[str] = EXTENSIONS,
        metrics: Any | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        options.setdefault("allowed_mentions", discord.AllowedMentions(everyone=False, roles=False, users=True))
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None, **options)
        self.config = config
        self._store = store
        self.challenge_store = challenges  # None: /challenge answers that challenges are off (in-memory store, tests)
        self.style_store = styles  # None: the library holds only the built-in styles and /style add answers "off"
        self.style_library: StyleLibrary | None = None  # set by the styles extension (names, autocomplete cache)
        self.extension_names = tuple(extensions)
        self.failed_extensions: set[str] = set()
        self._http_session: aiohttp.ClientSession | None = None
        self.metrics = metrics  # `stylebot.ops.BotMetrics` (prometheus counters) when the entry point serves /metrics
        self.decode_budget = PixelBudget(config.decode_budget_pixels)  # every image decode, every command

    @property
    def store(self) -> JobStore:
        if self._store is None:
            raise RuntimeError("this Stylebot was built without a job store (command payload only)")
        return self._store

    @property
    def http_session(self) -> aiohttp.ClientSession:
        """A session for downloading attachments (created on start, closed with the bot)."""
        if self._http_session is None or self._http_session.closed:
            self._http_session = aiohttp.ClientSession(raise_for_status=False)
        return self._http_session

    async def load_extensions(self) -> None:
        """Load every extension; one that fails is logged and skipped so the others still work."""
        for name in self.extension_names:
            try:
                await self.load_extension(name)
            except commands.ExtensionError:
                self.failed_extensions.add(name)
                logger.exception("extension %s failed to load; the bot runs without it", name)

    async def setup_hook(self) -> None:
        await self.load_extensions()
        if self.config.sync_commands:
            await self.sync_commands_if_changed()

    async def sync_commands_if_changed(self, *, force: bool = False) -> bool:
        """Sync the global commands when their payload changed since the last sync (hash kept in the database)."""
        digest = payload_hash(command_payload(self.tree))
        key = f"{COMMANDS_HASH_KEY}:{self.application_id}"
        if not force and await self.store.get_meta(key) == digest:
            logger.info("application commands unchanged since the last sync; not syncing")
            return False
        try:
            synced = await self.tree.sync()
        except discord.HTTPException as exc:
            logger.error("command sync failed (HTTP %s); the previously synced commands stay in place", exc.status)
            return False
        await self.store.set_meta(key, digest)
        logger.info("synced %d application commands", len(synced))
        return True

    def count(self, counter: str, label: str | None = None) -> None:
        """Bump one of the entry point's counters (interactions, rejections, enqueued); a no-op without metrics."""
        metric = getattr(self.metrics, counter, None)
        if metric is not None:
            (metric.labels(label) if label is not None else metric).inc()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.application_command and interaction.command is not None:
            self.count("interactions", f"/{interaction.command.qualified_name}")
        elif interaction.type is discord.InteractionType.component:
            parsed = custom_ids.parse((interaction.data or {}).get("custom_id"))
            self.count("interactions", f"button:{parsed.action}" if parsed else "button:unknown")

    async def on_ready(self) -> None:
        assert self.user is not None
        logger.info("logged in as %s (id %s) in %d servers", self.user, self.user.id, len(self.guilds))
        if self.application_id is not None:
            logger.info("invite link: %s", invite_url(self.application_id))

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self._http_session is not None and not self._http_session.closed:
                await self._http_session.close()
