"""HTTP helpers shared by the REST, webhook and CDN handlers: Discord-shaped replies and request bodies."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import BodyPartReader, web

from standin._payloads import error_body
from standin._state import State

__all__ = ["ApiError", "Upload", "check_auth", "json_reply", "match_int", "read_body", "read_json_list"]

_FILE_FIELD = re.compile(r"files\[(\d+)\]|file(\d*)")


class ApiError(Exception):
    """Raised inside a handler; the middleware turns it into Discord's error JSON with this status."""

    def __init__(self, status: int, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def response(self) -> web.Response:
        return json_reply(error_body(str(self), self.code), status=self.status)


class Upload:
    """One `files[n]` part of a multipart body."""

    def __init__(self, index: int, filename: str, content_type: str | None, data: bytes) -> None:
        self.index = index
        self.filename = filename
        self.content_type = content_type
        self.data = data


def match_int(request: web.Request, key: str) -> int:
    """A snowflake from the URL; a malformed one is a 404, as on Discord."""
    try:
        return int(request.match_info[key])
    except ValueError as exc:
        raise ApiError(404, "404: Not Found", 0) from exc


def check_auth(state: State, request: web.Request) -> None:
    """Bot-token routes need `Authorization: Bot <token>` with the stand-in's (unrevoked) token."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bot ") or not state.token_ok(header[4:]):
        raise ApiError(401, "401: Unauthorized", 0)


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py parses a body as JSON only when Content-Type is exactly `application/json` (no charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers)


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """The JSON payload and uploaded files of a request: plain JSON, or multipart `payload_json` + `files[n]`."""
    if not request.body_exists:
        return {}, []
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    payload = await _json(request)
    if not isinstance(payload, dict):
        raise ApiError(400, "400: Bad Request (JSON body must be an object)", 50109)
    return payload, []


async def read_json_list(request: web.Request) -> list[Any]:
    """A JSON array body (bulk command overwrite)."""
    payload = await _json(request) if request.body_exists else None
    if not isinstance(payload, list):
        raise ApiError(400, "Invalid Form Body (expected an array)", 50035)
    return payload


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise ApiError(400, "400: Bad Request (body is not JSON)", 50109) from exc


async def _read_multipart(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    reader = await request.multipart()
    payload: dict[str, Any] = {}
    uploads: list[Upload] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ApiError(400, "nested multipart is not supported", 50035)
        name = part.name or ""
        data = await part.read(decode=False)
        if name == "payload_json":
            payload = json.loads(data.decode())
            continue
        match = _FILE_FIELD.fullmatch(name)
        if match is None:
            continue
        index = int(match.group(1) if match.group(1) is not None else (match.group(2) or 0))
        content_type = part.headers.get("Content-Type")
        uploads.append(Upload(index, part.filename or f"file{index}", content_type, bytes(data)))
    return payload, uploads
