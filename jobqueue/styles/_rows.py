"""Statements, row conversions and `style_kept_refs` of the style library (Core, small explicit queries)."""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import Connection, Select, func, select, text

from jobqueue._policy import KeptRefs
from jobqueue._rows import from_epoch
from jobqueue.styles._models import PictureOwnerRow, StyleRow, StyleSettingsRow
from jobqueue.styles._types import Style, name_key
from jobqueue.styles.errors import StyleNotFound

__all__ = [
    "OWNERS",
    "SETTINGS",
    "STYLES",
    "count_styles",
    "fetch_style",
    "lock_guild_library",
    "style_kept_refs",
    "to_style",
]

STYLES = StyleRow.__table__
SETTINGS = StyleSettingsRow.__table__
OWNERS = PictureOwnerRow.__table__


def to_style(row: Any) -> Style:
    m = row._mapping
    return Style(
        id=m["id"],
        guild_id=m["guild_id"],
        name=m["name"],
        description=m["description"],
        sha=m["sha"],
        added_by=m["added_by"],
        owner_id=m["owner_id"],
        created_at=from_epoch(m["created_at"]),  # type: ignore[arg-type]
    )


def fetch_style(conn: Connection, guild_id: int, name: str) -> Style:
    stmt = select(STYLES).where(STYLES.c.guild_id == guild_id, STYLES.c.name_key == name_key(name))
    row = conn.execute(stmt).first()
    if row is None:
        raise StyleNotFound(guild_id, name)
    return to_style(row)


_LOCK_SPACE = zlib.crc32(b"styles") - 2**31  # the advisory-lock key's first half: "a server's style library"


def lock_guild_library(conn: Connection, guild_id: int) -> None:
    """Serialise writers that count a server's styles before they insert (the per-server cap), until the transaction
    ends. PostgreSQL: a transaction-level advisory lock on (styles, guild); two servers whose ids fold to the same key
    merely wait for each other. SQLite needs nothing: every write transaction already holds the database's write lock
    (`BEGIN IMMEDIATE`)."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(str(guild_id).encode()) - 2**31
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _LOCK_SPACE, "b": key})


def count_styles(conn: Connection, guild_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(STYLES).where(STYLES.c.guild_id == guild_id)).scalar())


def style_kept_refs(also: KeptRefs[Select[Any]] | None = None) -> KeptRefs[Select[Any]]:
    """What the library keeps in the job store (every style's picture), plus `also`'s references; entry points open
    the store with `open_store(url, kept=style_kept_refs(challenge_kept_refs()))`."""
    base = also or KeptRefs()
    return KeptRefs(blobs=(*base.blobs, select(STYLES.c.sha)), jobs=base.jobs)
