"""Failure injection (429s, 5xx, any status) and the middleware that applies it, logs requests and maps errors."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from standin._http import ApiError, json_reply
from standin._payloads import error_body
from standin._ratelimit import RateLimiter
from standin._records import RequestRecord, redact
from standin._state import State

__all__ = ["Fault", "Faults", "make_middleware"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    """Answer the next `times` requests matching `method` and `path` (re.search on the path below the API base)."""

    method: str
    path: re.Pattern[str]
    times: int
    status: int
    retry_after: float = 0.0
    global_: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in ("*", method) and self.path.search(path) is not None

    def response(self) -> web.Response:
        if self.status == 429:
            return rate_limited_response(self.retry_after, self.global_)
        return json_reply(error_body(f"{self.status}: injected failure", 0), status=self.status)


def rate_limited_response(retry_after: float, global_: bool, bucket: str = "standin-injected") -> web.Response:
    """A 429 that discord.py retries: JSON body with retry_after, X-RateLimit-* headers and a `Via` header
    (without `Via`, discord.py assumes a Cloudflare ban and raises instead of retrying)."""
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": global_}
    headers = {
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Scope": "global" if global_ else "user",
        "Via": "1.1 google",
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    return json_reply(body, status=429, headers=headers)


class Faults:
    """Injected faults, consumed in order, plus the optional rate limiter."""

    def __init__(self, limiter: RateLimiter | None = None) -> None:
        self.rules: list[Fault] = []
        self.limiter = limiter

    def add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.rules:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None


async def _answer(request: web.Request, handler: Handler, faults: Faults, rel: str) -> web.StreamResponse:
    fault = faults.take(request.method, rel)
    if fault is not None:
        logger.debug("stand-in injects %s for %s %s", fault.status, request.method, redact(rel))
        return fault.response()
    bucket = None if faults.limiter is None else faults.limiter.bucket(request.method, rel)
    now = time.monotonic()
    if bucket is not None and (wait := bucket.take(now)) > 0:
        response: web.StreamResponse = rate_limited_response(wait, False, bucket.name)
    else:
        try:
            response = await handler(request)
        except ApiError as exc:
            response = exc.response()
    if bucket is not None and response.status != 429:
        response.headers.update(bucket.headers(now))
    return response


def make_middleware(state: State, faults: Faults, api_prefix: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith(api_prefix):
            return await handler(request)
        rel = path[len(api_prefix) :]
        try:
            response = await _answer(request, handler, faults, rel)
        except ApiError as exc:
            response = exc.response()
        except web.HTTPException as exc:
            if exc.status in (404, 405):
                logger.warning("the Discord stand-in has no route for %s %s", request.method, redact(rel))
            response = json_reply(error_body(f"{exc.status}: {exc.reason}", 0), status=exc.status)
        state.requests.append(RequestRecord(request.method, rel, response.status, dict(request.query)))
        state.changed()
        return response

    return middleware
