"""Bot-token REST routes: login, gateway discovery, command sync, guilds and users (channels: _channels.py)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from standin._gateway import Gateway
from standin._http import ApiError, check_auth, json_reply, read_body, read_json_list
from standin._http import match_int as _int
from standin._payloads import member_payload, user_payload
from standin._state import State

__all__ = ["Rest"]

logger = logging.getLogger(__name__)


class Rest:
    def __init__(self, state: State, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        app_cmds = "/applications/{app_id}/commands"
        guild_cmds = "/applications/{app_id}/guilds/{guild_id}/commands"
        return [
            web.get("/users/@me", self.me),
            web.get("/oauth2/applications/@me", self.application),
            web.get("/applications/@me", self.application),
            web.get("/gateway", self.gateway_url),
            web.get("/gateway/bot", self.gateway_url),
            web.get(app_cmds, self.get_commands),
            web.put(app_cmds, self.put_commands),
            web.post(app_cmds, self.post_command),
            web.get(guild_cmds, self.get_commands),
            web.put(guild_cmds, self.put_commands),
            web.post(guild_cmds, self.post_command),
            web.get("/guilds/{guild_id}", self.get_guild),
            web.get("/guilds/{guild_id}/members/{user_id}", self.get_member),
            web.get("/users/{user_id}", self.get_user),
        ]

    def check_auth(self, request: web.Request) -> None:
        check_auth(self.state, request)

    # login and discovery -------------------------------------------------------------------------------------------
    async def me(self, request: web.Request) -> web.Response:
        self.check_auth(request)
        bot = self.state.users[self.state.bot_user_id]
        return json_reply({**user_payload(bot), "verified": True, "mfa_enabled": False, "bot": True})

    async def application(self, request: web.Request) -> web.Response:
        self.check_auth(request)
        state = self.state
        return json_reply(
            {
                "id": str(state.application_id),
                "name": state.users[state.bot_user_id].name,
                "icon": None,
                "description": "local Discord stand-in application",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": user_payload(state.users[state.owner_id]),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "interactions_endpoint_url": None,
                "bot": user_payload(state.users[state.bot_user_id]),
            }
        )

    async def gateway_url(self, request: web.Request) -> web.Response:
        if request.path.endswith("/bot"):
            self.check_auth(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_reply({"url": self.gateway.url, "shards": 1, "session_start_limit": limit})

    # application commands ------------------------------------------------------------------------------------------
    def _command_list(self, request: web.Request) -> tuple[int | None, list[dict[str, Any]]]:
        self.check_auth(request)
        if _int(request, "app_id") != self.state.application_id:
            raise ApiError(403, "Missing Access", 50001)
        if "guild_id" not in request.match_info:
            return None, self.state.global_commands
        guild_id = _int(request, "guild_id")
        if guild_id not in self.state.guilds:
            raise ApiError(403, "Missing Access", 50001)
        return guild_id, self.state.guild_commands.setdefault(guild_id, [])

    def _stored_command(self, body: dict[str, Any], guild_id: int | None, old: dict[str, Any] | None) -> dict[str, Any]:
        if not body.get("name"):
            raise ApiError(400, "Invalid Form Body (name: This field is required)", 50035)
        command = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            **body,
            "id": old["id"] if old else str(self.state.next_id()),
            "application_id": str(self.state.application_id),
            "version": str(self.state.next_id()),
        }
        if command["default_member_permissions"] is not None:  # Discord answers with a string
            command["default_member_permissions"] = str(command["default_member_permissions"])
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_reply(self._command_list(request)[1])

    async def put_commands(self, request: web.Request) -> web.Response:
        guild_id, current = self._command_list(request)
        items = await read_json_list(request)
        _check_command_limits(items)
        old = {(c["name"], c.get("type", 1)): c for c in current}
        new = [self._stored_command(c, guild_id, old.get((c.get("name"), c.get("type", 1)))) for c in items]
        current[:] = new
        self.state.command_syncs.append((guild_id, [dict(c) for c in items]))
        self.state.changed()
        return json_reply(new)

    async def post_command(self, request: web.Request) -> web.Response:
        guild_id, current = self._command_list(request)
        body, _ = await read_body(request)
        key = (body.get("name"), body.get("type", 1))
        old = next((c for c in current if (c["name"], c.get("type", 1)) == key), None)
        command = self._stored_command(body, guild_id, old)
        current[:] = [c for c in current if c is not old] + [command]
        self.state.changed()
        return json_reply(command, status=200 if old else 201)

    # guilds and users ----------------------------------------------------------------------------------------------
    async def get_guild(self, request: web.Request) -> web.Response:
        self.check_auth(request)
        guild_id = _int(request, "guild_id")
        if guild_id not in self.state.guilds:
            raise ApiError(404, "Unknown Guild", 10004)
        return json_reply(self.gateway.guild_create(guild_id))

    async def get_member(self, request: web.Request) -> web.Response:
        self.check_auth(request)
        guild = self.state.guilds.get(_int(request, "guild_id"))
        user_id = _int(request, "user_id")
        if guild is None or user_id not in guild.members:
            raise ApiError(404, "Unknown Member", 10007)
        return json_reply(member_payload(self.state.users[user_id], guild))

    async def get_user(self, request: web.Request) -> web.Response:
        self.check_auth(request)
        user = self.state.users.get(_int(request, "user_id"))
        if user is None:
            raise ApiError(404, "Unknown User", 10013)
        return json_reply(user_payload(user))


COMMAND_LIMITS = {1: 100, 2: 5, 3: 5}  # chat input, user and message commands an application may have (each scope)


def _check_command_limits(items: list[dict[str, Any]]) -> None:
    """Discord refuses a bulk overwrite past its per-type limits, and context-menu commands with a description or
    options (they take none)."""
    for kind, limit in COMMAND_LIMITS.items():
        count = sum(1 for c in items if c.get("type", 1) == kind)
        if count > limit:
            raise ApiError(400, f"Maximum number of application commands reached ({limit})", 30032)
    for c in items:
        if c.get("type", 1) in (2, 3) and (c.get("description") or c.get("options")):
            raise ApiError(400, "Invalid Form Body (description/options: context menu commands take none)", 50035)
