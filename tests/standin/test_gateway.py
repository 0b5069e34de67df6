"""The gateway protocol over a raw websocket: HELLO, ACKs, READY/GUILD_CREATE, close codes, RESUME replay."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from standin import Standin


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with Standin() as s:
        s.add_guild("G")
        yield s


async def _recv(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def _identify(ws: aiohttp.ClientWebSocketResponse, token: str, intents: int = 513) -> dict[str, Any]:
    assert (await _recv(ws))["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": token, "intents": intents, "properties": {}}})
    ready = await _recv(ws)
    assert ready["t"] == "READY" and ready["s"] == 1
    assert (await _recv(ws))["t"] == "GUILD_CREATE"
    return ready["d"]


async def test_hello_identify_heartbeat_and_ready(standin: Standin) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(standin.gateway_url + "?v=10&encoding=json") as ws:
        ready = await _identify(ws, standin.token)
        assert ready["user"]["id"] == str(standin.application_id) and ready["resume_gateway_url"] == standin.gateway_url
        await ws.send_json({"op": 1, "d": 2})
        assert await _recv(ws) == {"op": 11}
        await ws.send_json({"op": 2, "d": {"token": standin.token}})
        assert (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4005


@pytest.mark.parametrize(("first", "code"), [({"op": 8, "d": {"guild_id": "1"}}, 4003), ("not json", 4002)])
async def test_protocol_errors_close_with_discords_codes(standin: Standin, first: Any, code: int) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(standin.gateway_url) as ws:
        await _recv(ws)
        await (ws.send_str(first) if isinstance(first, str) else ws.send_json(first))
        await ws.receive(timeout=5)
        assert ws.close_code == code


async def test_bad_token_closes_4004(standin: Standin) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(standin.gateway_url) as ws:
        await _recv(ws)
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1}})
        await ws.receive(timeout=5)
        assert ws.close_code == 4004


async def test_resume_replays_missed_events_and_unknown_sessions_are_invalid(standin: Standin) -> None:
    member = standin.add_member(next(iter(standin.state.guilds)), name="m")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(standin.gateway_url) as ws:
            session_id = (await _identify(ws, standin.token))["session_id"]
        await standin.wait_for(lambda: not standin.gateway.live_sessions, what="the socket to close")
        standin.post_message(next(iter(standin.state.guilds.values())).channel_id, "while away", user=member)
        async with http.ws_connect(standin.gateway_url) as ws:
            await _recv(ws)
            await ws.send_json({"op": 6, "d": {"token": standin.token, "session_id": session_id, "seq": 2}})
            missed, resumed = await _recv(ws), await _recv(ws)
            assert (missed["t"], missed["s"], missed["d"]["content"]) == ("MESSAGE_CREATE", 3, "")  # no content intent
            assert resumed["t"] == "RESUMED"
        async with http.ws_connect(standin.gateway_url) as ws:
            await _recv(ws)
            await ws.send_json({"op": 6, "d": {"token": standin.token, "session_id": "nope", "seq": 1}})
            assert await _recv(ws) == {"op": 9, "d": False}
