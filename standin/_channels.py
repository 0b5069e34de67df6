"""Bot-token channel routes: messages (with enforced nonces), threads, reactions, typing, DMs, channel edits."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from standin._gateway import Gateway
from standin._http import ApiError, check_auth, json_reply, match_int, read_body
from standin._messages import apply_edit, new_message
from standin._payloads import user_payload
from standin._records import Channel, Message
from standin._state import State

__all__ = ["Channels"]

logger = logging.getLogger(__name__)

UNKNOWN_CHANNEL = (404, "Unknown Channel", 10003)
UNKNOWN_MESSAGE = (404, "Unknown Message", 10008)
UNKNOWN_USER = (404, "Unknown User", 10013)
MISSING_PERMISSIONS = (403, "Missing Permissions", 50013)


class Channels:
    def __init__(self, state: State, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        chan = "/channels/{channel_id}"
        msg = chan + "/messages/{message_id}"
        me_reaction = msg + "/reactions/{emoji}/@me"
        return [
            web.get(chan, self.get_channel),
            web.patch(chan, self.edit_channel),
            web.post(chan + "/typing", self.typing),
            web.post(chan + "/messages", self.post_message),
            web.get(chan + "/messages", self.list_messages),
            web.post(chan + "/messages/bulk-delete", self.bulk_delete),
            web.get(msg, self.get_message),
            web.patch(msg, self.edit_message),
            web.delete(msg, self.delete_message),
            web.post(msg + "/threads", self.thread_from_message),
            web.post(chan + "/threads", self.thread_without_message),
            web.put(me_reaction, self.add_reaction),
            web.delete(me_reaction, self.remove_reaction),
            web.get(msg + "/reactions/{emoji}", self.list_reactions),
            web.post("/users/@me/channels", self.open_dm),
        ]

    def channel(self, request: web.Request) -> Channel:
        check_auth(self.state, request)
        channel = self.state.channels.get(match_int(request, "channel_id"))
        if channel is None:
            raise ApiError(*UNKNOWN_CHANNEL)
        return channel

    def message(self, request: web.Request) -> Message:
        channel = self.channel(request)
        msg = self.state.live_message(channel.id, match_int(request, "message_id"))
        if msg is None or msg.ephemeral:  # ephemeral messages exist only behind the interaction's webhook
            raise ApiError(*UNKNOWN_MESSAGE)
        return msg

    # channels ------------------------------------------------------------------------------------------------------
    async def get_channel(self, request: web.Request) -> web.Response:
        return json_reply(self.state.channel_json(self.channel(request)))

    async def edit_channel(self, request: web.Request) -> web.Response:
        """Rename a channel; archive or lock a thread (challenges close their gallery threads this way)."""
        channel = self.channel(request)
        body, _ = await read_body(request)
        if "name" in body:
            channel.name = str(body["name"])
        if channel.is_thread:
            channel.archived = bool(body.get("archived", channel.archived))
            channel.locked = bool(body.get("locked", channel.locked))
        data = self.state.channel_json(channel)
        self.gateway.dispatch("THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE", data)
        self.state.changed()
        return json_reply(data)

    async def typing(self, request: web.Request) -> web.Response:
        self.channel(request)
        return web.Response(status=204)

    async def open_dm(self, request: web.Request) -> web.Response:
        check_auth(self.state, request)
        body, _ = await read_body(request)
        user = self.state.users.get(int(body.get("recipient_id") or 0))
        if user is None:
            raise ApiError(*UNKNOWN_USER)
        return json_reply(self.state.channel_json(self.state.dm_channel(user.id)))

    # messages ------------------------------------------------------------------------------------------------------
    async def post_message(self, request: web.Request) -> web.Response:
        """Create a message; an `enforce_nonce` body whose nonce was used in this channel within a few minutes
        returns the earlier message instead of posting a second one (idempotent delivery relies on this)."""
        channel = self.channel(request)
        if channel.is_thread and (channel.archived or channel.locked):
            raise ApiError(400, "Thread is archived", 50083)
        if self.state.bot_denied(channel):
            raise ApiError(*MISSING_PERMISSIONS)
        payload, uploads = await read_body(request)
        nonce = payload.get("nonce")
        nonce = None if nonce is None else str(nonce)
        if nonce is not None and len(nonce) > 25:
            raise ApiError(400, "Invalid Form Body (nonce: Must be 25 or fewer in length.)", 50035)
        if nonce is not None and payload.get("enforce_nonce"):
            earlier = self.state.message_for_nonce(channel.id, nonce)
            if earlier is not None:
                return json_reply(self.state.message_json(earlier, with_nonce=True))
        msg = new_message(self.state, channel.id, payload, uploads, limit=self.state.upload_limit, nonce=nonce)
        if payload.get("message_reference"):
            msg.type = 19
        if nonce is not None:
            self.state.remember_nonce(channel.id, nonce, msg.id)
        self.state.add_message(msg)
        return json_reply(self.state.message_json(msg, with_nonce=True))

    async def list_messages(self, request: web.Request) -> web.Response:
        """Newest first; `before` pages back, `after` gives the `limit` messages right after it (still newest
        first). History never carries nonces."""
        channel = self.channel(request)
        query = request.query
        limit = max(1, min(100, int(query.get("limit", "50"))))
        before, after = int(query.get("before") or 1 << 63), int(query.get("after") or 0)
        found = [
            m
            for m in self.state.messages.values()
            if m.channel_id == channel.id and not m.deleted and not m.ephemeral and after < m.id < before
        ]
        found.sort(key=lambda m: m.id, reverse=True)
        page = found[-limit:] if "after" in query and "before" not in query else found[:limit]
        return json_reply([self.state.message_json(m) for m in page])

    async def bulk_delete(self, request: web.Request) -> web.Response:
        channel = self.channel(request)
        body, _ = await read_body(request)
        ids = [int(i) for i in body.get("messages") or []]
        if not 2 <= len(ids) <= 100:
            raise ApiError(400, "Invalid Form Body (messages: Must be between 2 and 100 in length.)", 50035)
        for message_id in ids:
            msg = self.state.live_message(channel.id, message_id)
            if msg is not None and not msg.ephemeral:
                self.state.delete_message(msg)
        return web.Response(status=204)

    async def get_message(self, request: web.Request) -> web.Response:
        return json_reply(self.state.message_json(self.message(request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        msg = self.message(request)
        if msg.author_id != self.state.bot_user_id:
            raise ApiError(403, "Cannot edit a message authored by another user", 50005)
        payload, uploads = await read_body(request)
        apply_edit(self.state, msg, payload, uploads, limit=self.state.upload_limit)
        return json_reply(self.state.message_json(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        self.state.delete_message(self.message(request))
        return web.Response(status=204)

    # reactions -----------------------------------------------------------------------------------------------------
    async def add_reaction(self, request: web.Request) -> web.Response:
        msg = self.message(request)
        self.state.react(msg, unquote(request.match_info["emoji"]), self.state.bot_user_id, add=True)
        return web.Response(status=204)

    async def remove_reaction(self, request: web.Request) -> web.Response:
        msg = self.message(request)
        self.state.react(msg, unquote(request.match_info["emoji"]), self.state.bot_user_id, add=False)
        return web.Response(status=204)

    async def list_reactions(self, request: web.Request) -> web.Response:
        msg = self.message(request)
        after = int(request.query.get("after") or 0)
        limit = max(1, min(100, int(request.query.get("limit") or 25)))
        users = sorted(u for u in msg.reactions.get(unquote(request.match_info["emoji"]), []) if u > after)
        return json_reply([user_payload(self.state.users[u]) for u in users[:limit] if u in self.state.users])

    # threads -------------------------------------------------------------------------------------------------------
    def _add_thread(self, parent: Channel, body: dict[str, Any], thread_id: int, starter: int | None) -> Channel:
        name = str(body.get("name") or "").strip()
        if not name or len(name) > 100:
            raise ApiError(400, "Invalid Form Body (name: Must be between 1 and 100 in length.)", 50035)
        if parent.is_thread or parent.guild_id is None:
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        kind = int(body.get("type") or 11)
        thread = Channel(thread_id, parent.guild_id, name, kind, parent.id, self.state.bot_user_id, starter)
        self.state.channels[thread.id] = thread
        self.gateway.thread_create(thread.id)
        self.state.changed()
        return thread

    async def thread_from_message(self, request: web.Request) -> web.Response:
        """The thread's id is the starter message's id, as on Discord."""
        msg = self.message(request)
        if msg.id in self.state.channels:
            raise ApiError(400, "A thread has already been created for this message", 160004)
        body, _ = await read_body(request)
        thread = self._add_thread(self.state.channels[msg.channel_id], body, msg.id, msg.id)
        msg.thread_id = thread.id
        return json_reply(self.state.channel_json(thread), status=201)

    async def thread_without_message(self, request: web.Request) -> web.Response:
        parent = self.channel(request)
        body, _ = await read_body(request)
        if self.state.bot_denied(parent):
            raise ApiError(*MISSING_PERMISSIONS)
        thread = self._add_thread(parent, body, self.state.next_id(), None)
        return json_reply(self.state.channel_json(thread), status=201)
