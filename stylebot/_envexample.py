"""Render `.env.example` from `stylebot.settings.SETTINGS_DOC`: every setting once, its doc as a comment.

Regenerate after changing a setting: `python -m stylebot._envexample > .env.example` (tests/test_containers.py fails
while the two differ).
"""

from __future__ import annotations

import sys

from stylebot.settings import SETTINGS_DOC

__all__ = ["ACTIVE", "COMPOSE_ONLY", "render_env_example"]

# Settings written as live `NAME=` lines; all others are commented out at their default.
ACTIVE = frozenset({"DISCORD_TOKEN"})

# Variables that only compose.yaml reads (stylebot ignores them), as (name, example, doc).
COMPOSE_ONLY: tuple[tuple[str, str, str], ...] = (
    ("POSTGRES_PASSWORD", "stylebot", "Password of the bundled PostgreSQL; put it in the URL too."),
    ("COMPOSE_PROFILES", "postgres", "Start the bundled PostgreSQL with every `docker compose up`."),
)

_HEADER = """\
# stylebot settings. Copy this file to `.env` (never commit that) and set DISCORD_TOKEN; every other line is optional
# and shows its default. `stylebot` reads .env from its working directory; `docker compose` passes it to the containers
# (compose.yaml fixes STYLEBOT_DATA_DIR=/data and the metrics address inside them).
# Generated from stylebot/settings.py by `python -m stylebot._envexample > .env.example`.
# With the bundled PostgreSQL (docker compose --profile postgres):
#   STYLEBOT_DATABASE_URL=postgresql+asyncpg://stylebot:<POSTGRES_PASSWORD>@postgres:5432/stylebot
"""


def render_env_example() -> str:
    blocks = [_HEADER]
    for name, default, doc in SETTINGS_DOC:
        value = "" if name in ACTIVE else default
        line = f"{name}={value}" if name in ACTIVE else f"# {name}={value}"
        blocks.append(f"# {doc}\n{line}\n")
    blocks.append("# ---- Docker Compose only (read by compose.yaml, ignored by stylebot) ----\n")
    for name, example, doc in COMPOSE_ONLY:
        blocks.append(f"# {doc}\n# {name}={example}\n")
    return "\n".join(blocks)


if __name__ == "__main__":
    sys.stdout.write(render_env_example())
