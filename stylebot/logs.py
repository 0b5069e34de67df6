"""One logging set-up for every stylebot process: one line per event, job id in context, never a token.

Libraries only create loggers (`logging.getLogger(__name__)`); entry points call `configure_logging` once.
Context (job id, user, worker) comes from `log_context(...)` or from `extra={...}` on a single call.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from foundation.logcontext import CONTEXT_KEYS, current_context, log_context, redact, register_secret, set_process_role

__all__ = ["configure_logging", "log_context", "redact", "register_secret"]


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in CONTEXT_KEYS if getattr(record, k, None) is not None}


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        ctx = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{ts}.{int(record.msecs):03d}Z {record.levelname:<7} {record.name}: {record.getMessage()}"
        if ctx:
            line += f" [{ctx}]"
        if record.exc_info:
            # Keep one event on one line: the traceback is folded with ' | '.
            line += " | " + self.formatException(record.exc_info).replace("\n", " | ")
        return redact(line)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(data, default=str))


def configure_logging(level: str = "INFO", fmt: str = "text", role: str | None = None) -> None:
    """Install the one stderr handler for this process (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_stylebot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._stylebot = True  # type: ignore[attr-defined]
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(_ContextFilter())
    handler.addFilter(_drop_voice_warnings)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if role:
        set_process_role(role)
    _quiet_libraries(root.level)


# Loggers whose INFO lines say nothing to an operator (alembic's plugin set-up at every import, its "context impl"
# and "will assume" lines at every start): WARNING, unless we run at DEBUG.
_CHATTY = ("alembic", "alembic.runtime.plugins", "alembic.runtime.migration", "sqlalchemy")
# Loggers that would write SQL parameters (interaction tokens, image bytes) or request URLs with interaction tokens:
# WARNING even at DEBUG.
_LEAKY = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "discord.gateway", "discord.http")


def _drop_voice_warnings(record: logging.LogRecord) -> bool:
    """stylebot never joins voice: discord.py's "PyNaCl/davey is not installed" warnings at every start are noise."""
    return not (record.name == "discord.client" and "voice will NOT be supported" in record.getMessage())


def _quiet_libraries(level: int) -> None:
    """Set the third-party loggers' levels for a process logging at `level` (see `_CHATTY` and `_LEAKY`)."""
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if level <= logging.DEBUG else max(logging.WARNING, level))
    for name in _LEAKY:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))
