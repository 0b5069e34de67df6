"""The gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME with replay, member chunks, dispatches.

Frames go out as plain JSON text even though discord.py asks for `compress=zlib-stream`: it only decompresses
binary frames. Each connection has one sender task fed by a queue, so events keep their sequence order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from standin._payloads import channel_payload, guild_payload, member_payload, user_payload
from standin._state import State

__all__ = ["Gateway", "Session"]

logger = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 8, 9, 10, 11
REPLAY_LIMIT = 1000  # events kept per session for RESUME
MAX_SESSIONS = 20  # older disconnected sessions can no longer RESUME (they get op 9)
MESSAGE_CONTENT_INTENT = 1 << 15
GUILDS, GUILD_MEMBERS = 1 << 0, 1 << 1
# (intent for guild events, intent for DM events); events not listed always go out (READY, INTERACTION_CREATE…)
EVENT_INTENTS = {
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_ROLE_CREATE": (GUILDS, GUILDS),
    "CHANNEL_UPDATE": (GUILDS, GUILDS),
    "THREAD_CREATE": (GUILDS, GUILDS),
    "THREAD_UPDATE": (GUILDS, GUILDS),
    "MESSAGE_CREATE": (1 << 9, 1 << 12),
    "MESSAGE_UPDATE": (1 << 9, 1 << 12),
    "MESSAGE_DELETE": (1 << 9, 1 << 12),
    "MESSAGE_REACTION_ADD": (1 << 10, 1 << 13),
    "MESSAGE_REACTION_REMOVE": (1 << 10, 1 << 13),
}
CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": [], "poll": None}


class Session:
    """One identified gateway session; it outlives its socket so that RESUME can replay what was missed."""

    def __init__(self, session_id: str, intents: int, shard: list[int] | None) -> None:
        self.id = session_id
        self.intents = intents
        self.shard = shard
        self.seq = 0
        self.backlog: deque[tuple[int, str]] = deque(maxlen=REPLAY_LIMIT)
        self.outbox: asyncio.Queue[str] | None = None

    @property
    def connected(self) -> bool:
        return self.outbox is not None

    def event(self, name: str, data: Any) -> None:
        self.seq += 1
        frame = json.dumps({"op": DISPATCH, "t": name, "s": self.seq, "d": data})
        self.backlog.append((self.seq, frame))
        if self.outbox is not None:
            self.outbox.put_nowait(frame)


class Gateway:
    def __init__(self, state: State, heartbeat_interval_ms: int = 41250) -> None:
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, Session] = {}
        self.url = ""
        self._sockets: set[web.WebSocketResponse] = set()
        self.identifies = 0
        self.resumes = 0

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.connected]

    def dispatch(self, name: str, data: dict[str, Any]) -> None:
        guild_intent, dm_intent = EVENT_INTENTS.get(name, (0, 0))
        needed = guild_intent if "guild_id" in data else dm_intent
        for session in self.sessions.values():  # disconnected sessions buffer too, for RESUME
            if session.intents & needed == needed:
                session.event(name, self._visible(session, name, data))

    def _visible(self, session: Session, name: str, data: dict[str, Any]) -> dict[str, Any]:
        """Without the MESSAGE_CONTENT intent, other users' messages arrive with empty content, embeds,
        attachments and components (unless they mention the bot), as on Discord."""
        if name not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT_INTENT:
            return data
        author = str(data.get("author", {}).get("id"))
        mentioned = any(str(m.get("id")) == str(self.state.bot_user_id) for m in data.get("mentions", []))
        if author == str(self.state.bot_user_id) or mentioned:
            return data
        return {**data, **{k: v for k, v in CONTENT_FIELDS.items() if k in data}}

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every socket (sessions stay resumable): discord.py reconnects and sends RESUME."""
        for ws in list(self._sockets):
            await ws.close(code=code, message=b"stand-in dropped the connection")

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        outbox: asyncio.Queue[str] = asyncio.Queue()
        sender = asyncio.create_task(self._send_loop(ws, outbox))
        outbox.put_nowait(json.dumps({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                session = await self._on_frame(ws, frame, outbox, session)
        finally:
            if session is not None and session.outbox is outbox:
                session.outbox = None
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            self._sockets.discard(ws)
            self.state.changed()
        return ws

    async def _send_loop(self, ws: web.WebSocketResponse, outbox: asyncio.Queue[str]) -> None:
        while not ws.closed:
            frame = await outbox.get()
            try:
                await ws.send_str(frame)
            except ConnectionResetError:
                return

    async def _on_frame(
        self, ws: web.WebSocketResponse, frame: dict[str, Any], outbox: asyncio.Queue[str], session: Session | None
    ) -> Session | None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            outbox.put_nowait(json.dumps({"op": HEARTBEAT_ACK}))
        elif op in (IDENTIFY, RESUME) and session is not None:
            await ws.close(code=4005, message=b"Already authenticated.")
        elif op == IDENTIFY:
            return await self._identify(ws, data or {}, outbox)
        elif op == RESUME:
            return self._resume(data or {}, outbox)
        elif session is None:
            await ws.close(code=4003, message=b"Not authenticated.")
        elif op == REQUEST_MEMBERS:
            self._members_chunk(session, data or {})
        return session

    async def _identify(
        self, ws: web.WebSocketResponse, data: dict[str, Any], outbox: asyncio.Queue[str]
    ) -> Session | None:
        if not self.state.token_ok(str(data.get("token", ""))):
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        self.identifies += 1
        session = Session(secrets.token_hex(16), int(data.get("intents", 0)), data.get("shard"))
        self.sessions[session.id] = session
        for stale in list(self.sessions)[:-MAX_SESSIONS]:
            if not self.sessions[stale].connected:
                del self.sessions[stale]
        session.outbox = outbox
        session.event("READY", self._ready(session))
        for guild in self.state.guilds.values():
            session.event("GUILD_CREATE", self.guild_create(guild.id))
        self.state.changed()
        return session

    def _resume(self, data: dict[str, Any], outbox: asyncio.Queue[str]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not self.state.token_ok(str(data.get("token", ""))):
            outbox.put_nowait(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        self.resumes += 1
        since = int(data.get("seq") or 0)
        for seq, frame in session.backlog:
            if seq > since:
                outbox.put_nowait(frame)
        session.outbox = outbox
        session.event("RESUMED", {})
        self.state.changed()
        return session

    def _ready(self, session: Session) -> dict[str, Any]:
        bot = self.state.users[self.state.bot_user_id]
        data: dict[str, Any] = {
            "v": 10,
            "user": {**user_payload(bot), "verified": True, "mfa_enabled": False, "bot": True},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.state.guilds],
            "session_id": session.id,
            "resume_gateway_url": self.url,
            "application": {"id": str(self.state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if session.shard is not None:
            data["shard"] = session.shard
        return data

    def guild_create(self, guild_id: int) -> dict[str, Any]:
        state = self.state
        guild = state.guilds[guild_id]
        channels = [c for c in state.channels.values() if c.guild_id == guild_id]
        return guild_payload(guild, channels, state.users)

    def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild_ids = data.get("guild_id")
        for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.state.guilds.get(int(gid or 0))
            if guild is None:
                continue
            members = [member_payload(self.state.users[u], guild) for u in guild.members if u in self.state.users]
            chunk = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            session.event("GUILD_MEMBERS_CHUNK", chunk)

    def thread_create(self, channel_id: int) -> None:
        self.dispatch("THREAD_CREATE", {**channel_payload(self.state.channels[channel_id]), "newly_created": True})
