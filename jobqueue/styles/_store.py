"""`SqlStyleStore`: the `StyleStore` on the job queue's database (the only style-library SQL).

It shares the `SqlJobStore`'s `Database` (one unit of work = one transaction). `forget_owner` deletes other members'
jobs made from a member's pictures and then the blobs nothing references any more, with the job store's own
retention rule (`SqlJobStore` blobs: jobs and every kept reference), inside the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from jobqueue._db import Tx
from jobqueue._sql import BLOBS, JOBS
from jobqueue._sql_blobs import JOB_BLOB_COLUMNS, delete_blobs, job_row_shas, kept_values
from jobqueue._sql_store import SqlJobStore
from jobqueue._types import JobState
from jobqueue.errors import BlobNotFound, ConstraintViolation
from jobqueue.styles._rows import OWNERS, SETTINGS, STYLES, count_styles, fetch_style, lock_guild_library, to_style
from jobqueue.styles._types import NewStyle, OwnerForgotten, Style, name_key
from jobqueue.styles.errors import StyleLimitReached, StyleNameTaken

__all__ = ["SqlStyleStore"]

logger = logging.getLogger(__name__)


class SqlStyleStore:
    """A server's style library on the database of `jobs`; `clock` defaults to the job store's."""

    def __init__(self, jobs: SqlJobStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self._jobs = jobs
        self._db = jobs.db
        self._clock = clock or jobs.options.clock

    def now(self) -> datetime:
        return self._clock()

    async def add(self, new: NewStyle, *, max_styles: int) -> Style:
        """Add a style; raises StyleNameTaken, StyleLimitReached, or BlobNotFound for an unknown picture. The cap holds
        under concurrent adds (from any number of processes): the server's library is locked while counting."""
        now = self.now().timestamp()

        def unit(tx: Tx) -> Style:
            conn = tx.conn
            lock_guild_library(conn, new.guild_id)
            if conn.execute(select(BLOBS.c.sha).where(BLOBS.c.sha == new.sha)).first() is None:
                raise BlobNotFound(new.sha)
            key = name_key(new.name)
            taken = select(STYLES.c.id).where(STYLES.c.guild_id == new.guild_id, STYLES.c.name_key == key)
            if conn.execute(taken).first() is not None:
                raise StyleNameTaken(new.guild_id, new.name)
            if count_styles(conn, new.guild_id) >= max_styles:
                raise StyleLimitReached(new.guild_id, max_styles)
            values = {
                "guild_id": new.guild_id,
                "name": new.name,
                "name_key": name_key(new.name),
                "description": new.description,
                "sha": new.sha,
                "added_by": new.added_by,
                "owner_id": new.owner_id,
                "created_at": now,
            }
            row = conn.execute(insert(STYLES).values(**values).returning(*STYLES.c)).first()
            _record_owner(tx, new.sha, new.owner_id, now)
            return to_style(row)

        try:
            style = await self._db.write(unit)
        except ConstraintViolation as exc:  # a concurrent add of the same name won
            raise StyleNameTaken(new.guild_id, new.name) from exc
        logger.info("guild %s: style %s added", new.guild_id, style.id)
        return style

    async def remove(self, guild_id: int, name: str) -> Style:
        """Delete the style's row; its blob stays while queued jobs reference it (gc decides, as for any blob)."""

        def unit(tx: Tx) -> Style:
            style = fetch_style(tx.conn, guild_id, name)
            tx.conn.execute(delete(STYLES).where(STYLES.c.id == style.id))
            return style

        return await self._db.write(unit)

    async def rename(self, guild_id: int, name: str, new_name: str) -> Style:
        def unit(tx: Tx) -> Style:
            style = fetch_style(tx.conn, guild_id, name)
            clash = select(STYLES.c.id).where(
                STYLES.c.guild_id == guild_id, STYLES.c.name_key == name_key(new_name), STYLES.c.id != style.id
            )
            if tx.conn.execute(clash).first() is not None:
                raise StyleNameTaken(guild_id, new_name)
            values = {"name": new_name, "name_key": name_key(new_name)}
            tx.conn.execute(update(STYLES).where(STYLES.c.id == style.id).values(**values))
            return fetch_style(tx.conn, guild_id, new_name)

        try:
            return await self._db.write(unit)
        except ConstraintViolation as exc:
            raise StyleNameTaken(guild_id, new_name) from exc

    async def get(self, guild_id: int, name: str) -> Style:
        return await self._db.read(lambda tx: fetch_style(tx.conn, guild_id, name))

    async def list_styles(self, guild_id: int) -> list[Style]:
        stmt = select(STYLES).where(STYLES.c.guild_id == guild_id).order_by(STYLES.c.name_key)
        return await self._db.read(lambda tx: [to_style(r) for r in tx.conn.execute(stmt).all()])

    async def set_builtins_hidden(self, guild_id: int, hidden: bool) -> None:
        def unit(tx: Tx) -> None:
            done = tx.conn.execute(
                update(SETTINGS).where(SETTINGS.c.guild_id == guild_id).values(builtins_hidden=hidden)
            )
            if done.rowcount == 0:
                tx.conn.execute(insert(SETTINGS).values(guild_id=guild_id, builtins_hidden=hidden))

        await self._db.write(unit)

    async def builtins_hidden(self, guild_id: int) -> bool:
        stmt = select(SETTINGS.c.builtins_hidden).where(SETTINGS.c.guild_id == guild_id)
        return bool(await self._db.read(lambda tx: tx.conn.execute(stmt).scalar()))

    async def record_owner(self, sha: str, owner_id: int) -> None:
        now = self.now().timestamp()
        await self._db.write(lambda tx: _record_owner(tx, sha, owner_id, now))

    async def owners_of(self, sha: str) -> list[int]:
        """The members recorded as the picture's owners (`record_owner`, `add`), by id; [] for none."""
        stmt = select(OWNERS.c.owner_id).where(OWNERS.c.sha == sha).order_by(OWNERS.c.owner_id)
        return await self._db.read(lambda tx: list(tx.conn.execute(stmt).scalars()))

    async def forget_owner(self, user_id: int) -> OwnerForgotten:
        """Delete the styles, other members' (not running) jobs and the blobs made from `user_id`'s pictures."""
        result = await self._db.write(lambda tx: self._forget_owner(tx, user_id))
        logger.info("forgot pictures of user %s: %s", user_id, result)
        return result

    def _forget_owner(self, tx: Tx, user_id: int) -> OwnerForgotten:
        conn = tx.conn
        shas = set(conn.execute(select(OWNERS.c.sha).where(OWNERS.c.owner_id == user_id)).scalars())
        mine = or_(STYLES.c.owner_id == user_id, STYLES.c.sha.in_(shas))
        styles = conn.execute(delete(STYLES).where(mine).returning(STYLES.c.sha)).scalars().all()
        shas.update(styles)
        if not shas:
            return OwnerForgotten(len(styles), 0, 0)
        c = JOBS.c
        uses = or_(c.content_sha.in_(shas), *(c.style_shas.contains(sha) for sha in shas))
        rows = conn.execute(select(c.id, *JOB_BLOB_COLUMNS).where(uses, c.state != JobState.RUNNING.value)).all()
        kept = kept_values(tx, self._jobs.kept.jobs)
        rows = [r for r in rows if r[0] not in kept]
        if rows:
            conn.execute(delete(JOBS).where(c.id.in_([r[0] for r in rows])))
        candidates = shas.union(*(job_row_shas(*r[1:]) for r in rows))
        still = self._jobs._referenced(tx)
        gone = candidates - still
        blobs = delete_blobs(tx, gone)
        if gone:
            conn.execute(delete(OWNERS).where(OWNERS.c.owner_id == user_id, OWNERS.c.sha.in_(gone)))
        return OwnerForgotten(len(styles), len(rows), blobs)

    async def kept_blobs(self) -> set[str]:
        return await self._db.read(lambda tx: set(tx.conn.execute(select(STYLES.c.sha)).scalars()))


def _record_owner(tx: Tx, sha: str, owner_id: int, now: float) -> Any:
    key = (OWNERS.c.sha == sha) & (OWNERS.c.owner_id == owner_id)
    if tx.conn.execute(select(OWNERS.c.sha).where(key)).first() is None:
        tx.conn.execute(insert(OWNERS).values(sha=sha, owner_id=owner_id, created_at=now))
