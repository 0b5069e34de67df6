"""What every concern of `SqlJobStore` shares: the `Database`, the options (clock), the kept references, and the
small statement helpers more than one concern uses. The concerns are mixins over `SqlCore`, composed in
`jobqueue._sql_store`; every public method is one unit of work, i.e. one transaction (see `jobqueue._db`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite

from jobqueue._db import Database
from jobqueue._policy import KeptRefs, StoreOptions

__all__ = ["SqlCore", "chunks", "upsert"]


def upsert(dialect: str, table: Any, values: dict[str, Any], keys: Iterable[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET every other column."""
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(values)
    keys = list(keys)
    return ins.on_conflict_do_update(index_elements=keys, set_={k: v for k, v in values.items() if k not in keys})


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """Slices short enough for an `IN (…)` list on either database."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SqlCore:
    """The state of a `SqlJobStore`: its database, options and what other features keep alive (`KeptRefs`)."""

    def __init__(
        self, db: Database, options: StoreOptions | None = None, *, kept: KeptRefs[Select[Any]] | None = None
    ) -> None:
        self.db = db
        self.options = options or StoreOptions()
        self.kept: KeptRefs[Select[Any]] = kept or KeptRefs()

    @property
    def dialect(self) -> str:
        return self.db.dialect

    async def close(self) -> None:
        await self.db.close()

    def _now(self) -> float:
        return self.options.now().timestamp()
