"""`Standin`: the server (REST + gateway + CDN on one 127.0.0.1 port) and the world it simulates."""

from __future__ import annotations

import logging
import re
import secrets
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from standin import _cdn
from standin._channels import Channels
from standin._driver import Driver
from standin._faults import Fault, Faults, make_middleware
from standin._gateway import Gateway
from standin._payloads import member_payload, role_payload
from standin._ratelimit import RateLimiter
from standin._records import ADMINISTRATOR, DEFAULT_MEMBER_PERMISSIONS, MANAGE_GUILD, Channel, Guild, StoredFile, User
from standin._rest import Rest
from standin._state import Clock, State
from standin._webhooks import Webhooks
from standin.errors import StandinError

__all__ = ["API_PREFIX", "Standin"]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_BODY = 64 * 1024 * 1024  # aiohttp's default (1 MiB) would refuse ordinary image uploads


class Standin(Driver):
    """A local Discord: `await start()`, point discord.py at `api_base`/`gateway_url`, script members, assert.

    Everything runs on the caller's event loop. `clock` defaults to wall time; `advance(seconds)` fast-forwards it
    (interaction tokens die 15 minutes after creation; enforced nonces are remembered for 5 minutes).
    `ack_deadline` (seconds, default off) makes late interaction callbacks fail like Discord's 3 s window does.
    `rate_limits=(5, 5.0)` turns on per-route buckets (5 requests per 5 s each) with X-RateLimit-* headers.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        bot_name: str = "stylebot",
        owner_name: str = "owner",
        clock: Clock | None = None,
        ack_deadline: float | None = None,
        heartbeat_interval_ms: int = 41250,
        upload_limit: int = 10 * 1024 * 1024,
        rate_limits: tuple[int, float] | None = None,
    ) -> None:
        self.state = State(clock or Clock())
        self.gateway = Gateway(self.state, heartbeat_interval_ms)
        self.state.dispatch = self.gateway.dispatch
        self.faults = Faults(None if rate_limits is None else RateLimiter(*rate_limits))
        self.host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._ack_deadline = ack_deadline
        state = self.state
        state.bot_token = token or f"standin.{secrets.token_urlsafe(24)}"
        state.upload_limit = upload_limit
        state.application_id = state.next_id()
        state.bot_user_id = state.application_id  # as on Discord: the bot user shares the application's id
        state.users[state.bot_user_id] = User(state.bot_user_id, bot_name, bot=True)
        state.owner_id = self.add_user(owner_name).id

    # lifecycle -----------------------------------------------------------------------------------------------------
    async def start(self) -> Self:
        if self._runner is not None:
            return self
        app = web.Application(
            client_max_size=MAX_BODY, middlewares=[make_middleware(self.state, self.faults, API_PREFIX)]
        )
        app[_cdn.STATE_KEY] = self.state
        handlers = (Rest(self.state, self.gateway), Channels(self.state, self.gateway))
        routes = [r for h in handlers for r in h.routes()] + Webhooks(self.state, self._ack_deadline).routes()
        for route in routes:
            app.router.add_route(route.method, API_PREFIX + route.path, route.handler)
        app.router.add_routes(_cdn.routes())
        app.router.add_get("/gateway", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self.state.cdn_base = f"http://{self.host}:{self._port}"
        self.gateway.url = f"ws://{self.host}:{self._port}/gateway"
        logger.info("Discord stand-in listening on %s", self.api_base)
        return self

    async def close(self) -> None:
        if self._runner is None:
            return
        await self.gateway.drop_connections(code=1001)
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # addresses and identities --------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def api_base(self) -> str:
        """What `DISCORD_API_BASE` should be (also `discord.http.Route.BASE`)."""
        return f"http://{self.host}:{self._port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """What `DISCORD_GATEWAY_URL` should be (also `DiscordWebSocket.DEFAULT_GATEWAY`)."""
        return self.gateway.url

    @property
    def cdn_host(self) -> str:
        """The host attachment URLs use: put it in `STYLEBOT_ATTACHMENT_HOSTS`."""
        return self.host

    @property
    def token(self) -> str:
        """The bot token the stand-in accepts (`DISCORD_TOKEN`)."""
        return self.state.bot_token

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def bot_user(self) -> User:
        return self.state.users[self.state.bot_user_id]

    @property
    def owner_id(self) -> int:
        """The application owner's user id (the bot owner)."""
        return self.state.owner_id

    @property
    def clock(self) -> Clock:
        return self.state.clock

    def env(self) -> dict[str, str]:
        """Environment for a bot/engine process pointed at this stand-in."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "STYLEBOT_ATTACHMENT_HOSTS": self.cdn_host,
        }

    # the world -----------------------------------------------------------------------------------------------------
    def add_user(self, name: str, user_id: int | None = None, *, bot: bool = False) -> User:
        user = User(user_id or self.state.next_id(), name, bot=bot)
        self.state.users[user.id] = user
        return user

    def add_guild(
        self, name: str = "Test Server", *, channels: tuple[str, ...] = ("general",), owner_id: int | None = None
    ) -> Guild:
        """A guild with text channels, an @everyone role and the bot as member; sent as GUILD_CREATE if connected."""
        state = self.state
        guild_id = state.next_id()
        guild = Guild(guild_id, name, owner_id or state.owner_id, everyone_role_id=guild_id)
        guild.roles[guild_id] = "@everyone"
        guild.role_bits[guild_id] = DEFAULT_MEMBER_PERMISSIONS
        state.guilds[guild_id] = guild
        guild.members[state.bot_user_id] = DEFAULT_MEMBER_PERMISSIONS
        for channel_name in channels:
            self.add_channel(guild_id, channel_name)
        if guild.owner_id in state.users:
            self._set_permissions(guild, guild.owner_id, ADMINISTRATOR | MANAGE_GUILD | DEFAULT_MEMBER_PERMISSIONS)
        self.gateway.dispatch("GUILD_CREATE", self.gateway.guild_create(guild_id))
        state.changed()
        return guild

    def add_channel(self, guild_id: int, name: str) -> Channel:
        channel = Channel(self.state.next_id(), guild_id, name)
        self.state.channels[channel.id] = channel
        self.state.guilds[guild_id].channel_ids.append(channel.id)
        return channel

    def add_member(
        self,
        guild_id: int,
        user_id: int | None = None,
        name: str = "member",
        *,
        permissions: int = DEFAULT_MEMBER_PERMISSIONS,
        admin: bool = False,
    ) -> User:
        """Add a member (a new user unless `user_id` names one). `admin=True` adds Administrator + Manage Server."""
        user = self.state.users.get(user_id or 0) or self.add_user(name, user_id)
        bits = permissions | (ADMINISTRATOR | MANAGE_GUILD if admin else 0)
        guild = self.state.guilds[guild_id]
        self._set_permissions(guild, user.id, bits)
        self.gateway.dispatch("GUILD_MEMBER_ADD", {**member_payload(user, guild), "guild_id": str(guild_id)})
        self.state.changed()
        return user

    def _set_permissions(self, guild: Guild, user_id: int, bits: int) -> None:
        """Give the member a role carrying `bits` beyond @everyone's, so `Member.guild_permissions` agrees with the
        interaction's `permissions` string."""
        guild.members[user_id] = bits
        guild.member_roles.pop(user_id, None)
        if not bits & ~guild.role_bits[guild.everyone_role_id]:
            return
        role_id = next((r for r, b in guild.role_bits.items() if b == bits and r != guild.everyone_role_id), None)
        if role_id is None:
            role_id = self.state.next_id()
            guild.roles[role_id] = "Admin" if bits & ADMINISTRATOR else f"perms-{bits:x}"
            guild.role_bits[role_id] = bits
            self.gateway.dispatch(
                "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role_payload(guild, role_id)}
            )
        guild.member_roles[user_id] = [role_id]

    def add_attachment(
        self,
        data: bytes,
        filename: str,
        content_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        *,
        sniff: bool = False,
    ) -> dict[str, Any]:
        """Upload bytes to the CDN as a member would; returns the Discord attachment object (pass it as an option).

        The metadata says exactly what you pass (lies included, to test validation); width/height default to the
        image's real size when Pillow can read it. `sniff=True` derives content_type from the bytes instead.
        """
        sniff = sniff or content_type is None
        stored = _cdn.store_file(self.state, data, filename, content_type, width=width, height=height, sniff=sniff)
        return dict(stored.meta)

    def file(self, attachment: dict[str, Any] | int | str) -> StoredFile:
        """The stored bytes behind an attachment object or id (uploaded by a test or by the bot)."""
        key = attachment["id"] if isinstance(attachment, dict) else attachment
        return self.state.files[int(key)]

    # failure injection ---------------------------------------------------------------------------------------------
    def rate_limit(
        self, method: str, path_regex: str, times: int = 1, retry_after: float = 0.2, *, global_: bool = False
    ) -> Fault:
        """Answer the next `times` matching requests with 429 (path matched with re.search below the API base)."""
        return self.faults.add(Fault(method.upper(), re.compile(path_regex), times, 429, retry_after, global_))

    def fail_next(self, method: str, path_regex: str, status: int = 500, times: int = 1) -> Fault:
        """Answer the next `times` matching requests with `status` and Discord's error JSON."""
        return self.faults.add(Fault(method.upper(), re.compile(path_regex), times, status))

    def revoke_token(self, revoked: bool = True) -> None:
        """Dead-token mode: /users/@me (login) answers 401 and IDENTIFY is closed with 4004."""
        self.state.token_revoked = revoked

    def expire_interaction_token(self, token: str) -> None:
        """Make every webhook call with this token fail with 401 Invalid Webhook Token (code 50027)."""
        inter = self.state.tokens.get(token)
        if inter is None:
            raise StandinError("no interaction has that token")
        inter.expired = True
        self.state.changed()

    def advance(self, seconds: float) -> None:
        """Fast-forward the stand-in's clock (e.g. `advance(16 * 60)` to let every interaction token die)."""
        self.state.clock.advance(seconds)
        self.state.changed()

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close gateway sockets; discord.py reconnects and RESUMEs (missed events are replayed)."""
        await self.gateway.drop_connections(code)
