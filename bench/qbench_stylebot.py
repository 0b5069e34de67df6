"""stylebot's job queue as adapters for the peer harness in ../shared/peers/queues (see its README).

    QBENCH_PIP_EXTRA="sqlalchemy aiosqlite asyncpg alembic" bash ../shared/peers/queues/bench.sh \
        --extra bench/qbench_stylebot.py:StylebotSqlite --extra bench/qbench_stylebot.py:StylebotPg

The repository is imported from this file's checkout (sys.path), so the harness venv needs only the queue's
dependencies, not torch. Every job goes through the public API: `enqueue` (its own transaction, with fair-share
rank), `claim` (one statement, lease + attempt), `complete` (result blob + lease-guarded write). Durability follows
the harness: SQLite `synchronous` from env.sqlite_sync; Postgres `synchronous_commit` from the DSN, applied as the
database default because SQLAlchemy's asyncpg URL carries no libpq `options`.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from qbench.common import Adapter, noop, pg_analyze, pg_recreate_db, pg_setting, run_worker_procs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jobqueue
from jobqueue import NewJob

CONTENT = b"\x89PNG\r\n\x1a\n no-op job"


async def _enqueue(url: str, n: int) -> None:
    store = await jobqueue.open_store(url)
    try:
        sha = await store.put_blob(CONTENT)
        for i in range(n):
            await store.enqueue(NewJob(user_id=1, content_sha=sha, style_shas=(sha,), params={"i": i}))
    finally:
        await store.close()


async def _work(url: str, ready) -> None:  # type: ignore[no-untyped-def]
    store = await jobqueue.open_store(url, migrate=False)
    try:
        ready()
        while jobs := await store.claim("qbench", lease_seconds=60):
            for job in jobs:
                noop(**job.params)
                await store.complete(job, result=b"", meta={})
    finally:
        await store.close()


def _worker(idx, ready, url):  # type: ignore[no-untyped-def]
    asyncio.run(_work(url, ready))


async def _count_done(url: str) -> int:
    store = await jobqueue.open_store(url, migrate=False)
    try:
        return (await store.stats()).counts[jobqueue.JobState.SUCCEEDED]
    finally:
        await store.close()


class StylebotSqlite(Adapter):
    lib = "stylebot"
    backend = "sqlite"

    def __init__(self, env):  # type: ignore[no-untyped-def]
        super().__init__(env)
        self.path = os.path.join(env.tmpdir, "stylebot.db")
        self.url = f"sqlite+aiosqlite:///{self.path}?synchronous={env.sqlite_sync}"

    @property
    def variant(self) -> str:
        return f"wal,synchronous={self.env.sqlite_sync}"

    def version(self) -> str:
        import sqlite3

        import sqlalchemy

        return f"sqlalchemy {sqlalchemy.__version__} core, sqlite {sqlite3.sqlite_version}"

    def reset(self) -> None:
        for suffix in ("", "-wal", "-shm", ".migrate.lock"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)
        asyncio.run(_enqueue(self.url, 0))  # migrate

    def enqueue(self, n: int) -> None:
        asyncio.run(_enqueue(self.url, n))

    def drain(self, workers: int, n: int, timeout: float) -> float:
        return run_worker_procs(_worker, workers, (self.url,), timeout)

    def done_count(self) -> int:
        return asyncio.run(_count_done(self.url))


def _asyncpg_url(conninfo: str, dbname: str) -> str:
    kv = dict(re.findall(r"(\w+)=('(?:[^']*)'|\S+)", conninfo))
    host, port, user = kv.get("host", "127.0.0.1"), kv.get("port", "5432"), kv.get("user", "postgres")
    if host.startswith("/"):
        return f"postgresql+asyncpg://{user}@/{dbname}?host={host}&port={port}"
    return f"postgresql+asyncpg://{user}@{host}:{port}/{dbname}"


class StylebotPg(Adapter):
    lib = "stylebot"
    backend = "postgres"
    needs_pg = True
    db = "qb_stylebot"

    @property
    def variant(self) -> str:
        sc = pg_setting(self.env, "synchronous_commit")
        return f"synchronous_commit={sc}" + (",analyzed" if self.env.pg_analyze else "")

    @property
    def url(self) -> str:
        return _asyncpg_url(self.env.pg_dsn or "", self.db)

    def version(self) -> str:
        import asyncpg
        import sqlalchemy

        return f"sqlalchemy {sqlalchemy.__version__} core, asyncpg {asyncpg.__version__}"

    def reset(self) -> None:
        import psycopg

        pg_recreate_db(self.env, self.db)
        sc = pg_setting(self.env, "synchronous_commit")
        with psycopg.connect(self.env.pg("postgres"), autocommit=True) as c:
            c.execute(f'ALTER DATABASE "{self.db}" SET synchronous_commit = {sc}')
        asyncio.run(_enqueue(self.url, 0))

    def enqueue(self, n: int) -> None:
        asyncio.run(_enqueue(self.url, n))

    def settle(self) -> None:
        pg_analyze(self.env, self.db)

    def drain(self, workers: int, n: int, timeout: float) -> float:
        return run_worker_procs(_worker, workers, (self.url,), timeout)

    def done_count(self) -> int:
        return asyncio.run(_count_done(self.url))
