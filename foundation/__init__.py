"""The foundation every stylebot package stands on: stdlib only, imports nothing of ours.

- `StylebotError`, the root of every package's errors (`foundation.errors`);
- `lazy_exports`, how `engine`, `bot` and `jobqueue` keep heavy imports out of `import <package>`;
- `Outage`, bounded exponential backoff with jitter, logged once per outage (`foundation.outage`);
- `private_dir`, `private_file`: owner-only directories and files for data at rest (`foundation.files`);
- `log_context`, `redact`, `register_secret`: log context and redaction (`foundation.logcontext`); handlers and
  levels are configured only by the application (`stylebot.logs`).

Library packages (bot, engine, jobqueue, delivery, standin) import this, never the application package `stylebot`.
"""

from __future__ import annotations

from foundation._lazy import lazy_exports
from foundation.errors import StylebotError
from foundation.files import private_dir, private_file
from foundation.logcontext import current_context, log_context, redact, register_secret
from foundation.outage import Outage

__all__ = [
    "Outage",
    "StylebotError",
    "current_context",
    "lazy_exports",
    "log_context",
    "private_dir",
    "private_file",
    "redact",
    "register_secret",
]
