"""Driver errors leave `jobqueue` as `jobqueue.errors`, and none of them carries a statement's bound parameters.

Real SQLite files and the session's PostgreSQL: a failing INSERT of a job whose interaction token is a secret, a
closed store, a full disk (SQLite's `max_page_count`), a write lock held past the busy budget.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import traceback
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from jobqueue import (
    ConstraintViolation,
    DatabaseUnavailable,
    DeliveryTarget,
    JobQueueError,
    NewJob,
    RetryableError,
    SqlJobStore,
    TargetKind,
    open_store,
)
from jobqueue._db import SqliteDatabase, create_database
from tests.pg import fresh_database

TOKEN = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(64)  # SQLAlchemy's repr shortens it: look for any piece


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlJobStore]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    else:
        url = await fresh_database(request.getfixturevalue("postgres_server"), f"t_{uuid.uuid4().hex[:12]}")
    opened = await open_store(url)
    yield opened
    await opened.close()


def _secret_job(sha: str, **kw: object) -> NewJob:
    target = DeliveryTarget(kind=TargetKind.INTERACTION, application_id=1, interaction_id=2, interaction_token=TOKEN)
    fields: dict[str, object] = {"user_id": 1, "content_sha": sha, "style_shas": (sha,), "params": {}}
    return NewJob(**(fields | {"target": target} | kw))  # type: ignore[arg-type]


def _holds_token(text: str) -> bool:
    return any(TOKEN[i : i + 12] in text for i in range(len(TOKEN) - 11))


def _assert_no_token(err: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("stylebot.test").error("the store failed", exc_info=err)  # as any caller would log it
    assert not _holds_token(str(err))
    assert not _holds_token("".join(traceback.format_exception(err))), "a chained driver error carries the token"
    assert not _holds_token(caplog.text)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"parent_job_id": 987654}, id="foreign-key"),
        pytest.param({"user_id": None}, id="not-null"),  # PostgreSQL's DETAIL lists the whole row
    ],
)
async def test_a_failing_insert_logs_and_raises_no_interaction_token(
    store: SqlJobStore, caplog: pytest.LogCaptureFixture, bad: dict[str, object]
) -> None:
    caplog.set_level(logging.DEBUG)
    sha = await store.put_blob(b"content")
    with pytest.raises(ConstraintViolation) as raised:
        await store.enqueue(_secret_job(sha, **bad))
    assert not isinstance(raised.value, RetryableError), "a constraint violation is permanent"
    _assert_no_token(raised.value, caplog)


async def test_an_insert_into_a_closed_store_is_unavailable_without_the_token(
    store: SqlJobStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sha = await store.put_blob(b"content")
    await store.close()
    with pytest.raises(JobQueueError) as raised:
        await store.enqueue(_secret_job(sha))
    _assert_no_token(raised.value, caplog)


async def test_a_full_sqlite_disk_is_a_retryable_unavailable_database_saying_so(tmp_path: Path) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    try:
        pages = await store.db.read(lambda tx: tx.conn.exec_driver_sql("PRAGMA page_count").scalar())
        await store.db.write(lambda tx: tx.conn.exec_driver_sql(f"PRAGMA max_page_count={pages + 2}").fetchall())
        with pytest.raises(DatabaseUnavailable) as raised:
            await store.put_blob(b"\x01" * 200_000)
        assert raised.value.disk_full
        assert isinstance(raised.value, RetryableError)
        assert "disk is full" in str(raised.value)
    finally:
        await store.close()


async def test_sqlite_locked_past_its_busy_budget_is_a_retryable_unavailable_database(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    await (await open_store(f"sqlite+aiosqlite:///{path}")).close()
    store = SqlJobStore(SqliteDatabase(str(path), busy_timeout=0.2))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process keeps the write lock
        with pytest.raises(DatabaseUnavailable, match="locked"):
            await store.put_blob(b"content")
        other.execute("COMMIT")
        assert await store.get_blob(await store.put_blob(b"content")) == b"content"  # and it carries on
    finally:
        other.close()
        await store.close()


@pytest.mark.postgres
async def test_too_many_connections_is_a_retryable_unavailable_database(postgres_server: Any) -> None:
    import asyncpg

    url = await fresh_database(postgres_server, f"t_{uuid.uuid4().hex[:12]}")
    await (await open_store(url)).close()
    role = f"r_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(host=postgres_server.host, port=postgres_server.port, user="postgres")
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")  # SQLSTATE 53300 for every connect
        limited = SqlJobStore(create_database(url.replace("postgres@", f"{role}@")))
        for call in (limited.stats(), limited.put_blob(b"content")):  # SQLAlchemy's pool, then the raw asyncpg one
            with pytest.raises(DatabaseUnavailable, match="53300"):
                await call
        await limited.close()
    finally:
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()
