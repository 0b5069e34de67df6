"""Log context and redaction: what every package needs to log safely, without configuring logging.

Libraries only create loggers (`logging.getLogger(__name__)`) and may add context with `log_context(job_id=…)`;
`stylebot.logs.configure_logging` (entry points only) installs the handler that reads `current_context()` and passes
every line through `redact`.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["CONTEXT_KEYS", "current_context", "log_context", "redact", "register_secret", "set_process_role"]

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("stylebot_log_context", default={})  # noqa: B039
_secrets: set[str] = set()
CONTEXT_KEYS = ("job_id", "user_id", "guild_id", "worker", "action", "process_role")
# Discord bot tokens, interaction tokens in webhook URLs and signed CDN query strings never reach a log line.
_PATTERNS = [
    re.compile(r"[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}"),
    re.compile(r"(/webhooks/\d+/)[A-Za-z0-9_.-]{20,}"),
    re.compile(r"(/interactions/\d+/)[A-Za-z0-9_.-]{20,}"),
    re.compile(r"([?&](?:ex|is|hm|token|signature)=)[^&\s\"']+"),
    re.compile(r"((?:Authorization|authorization)['\"]?\s*[:=]\s*['\"]?Bot )[^\s'\"]+"),
]


def register_secret(value: str | None) -> None:
    """Remember a secret (the bot token) so that it is masked wherever it would appear in a log line."""
    if value and len(value) >= 8:
        _secrets.add(value)


def redact(text: str) -> str:
    """Mask tokens, interaction tokens and signed URL parameters in `text`."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (job_id=…, user_id=…) to every log line emitted inside the block (also in tasks started there)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    """The fields `log_context` blocks around this call have set (read by the log handler's filter)."""
    return _context.get()


def set_process_role(role: str) -> None:
    """Tag every later log line of this context (the whole process when called from `main`) with `process_role`."""
    _context.set({**_context.get(), "process_role": role})
