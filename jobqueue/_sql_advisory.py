"""Advisory leases in `SqlJobStore`: a named role (`delivery-editor`, …) that one holder at a time keeps by renewing it.

Taking, renewing and taking over are one atomic upsert: `INSERT … ON CONFLICT (name) DO UPDATE … WHERE the row is the
caller's or expired RETURNING holder`; no row back means somebody else holds it.
"""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite

from jobqueue._models import AdvisoryLease
from jobqueue._sql_core import SqlCore

__all__ = ["SqlAdvisory"]

LEASES = AdvisoryLease.__table__
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class SqlAdvisory(SqlCore):
    """Advisory leases (see `JobStore.hold_lease`)."""

    async def hold_lease(self, name: str, holder: str, *, seconds: float) -> bool:
        now = self._now()
        ins = _INSERT[self.dialect](LEASES).values(name=name, holder=holder, expires_at=now + seconds)
        stmt = ins.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": ins.excluded.holder, "expires_at": ins.excluded.expires_at},
            where=or_(LEASES.c.holder == holder, LEASES.c.expires_at < now),
        ).returning(LEASES.c.holder)
        return await self.db.write(lambda tx: tx.conn.execute(stmt).first() is not None)

    async def drop_lease(self, name: str, holder: str) -> None:
        stmt = delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder)
        await self.db.write(lambda tx: tx.conn.execute(stmt))
