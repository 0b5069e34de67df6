"""`python -m stylebot engine` on PostgreSQL through a database outage, as real processes: the database refuses
connections (`ALLOW_CONNECTIONS false`: SQLSTATE 55000, open sessions terminated: 57P01) while a job runs and for
longer than its lease. The engine keeps running, logs the outage, and finishes the job once, when the database is back.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import asyncpg
import pytest

from jobqueue import Job, JobState, open_store
from tests.pg import PostgresServer, fresh_database
from tests.stylebot.test_engine_process import STEPS, Engine, assert_result_intact, engines, submit, until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


async def _admit(server: PostgresServer, name: str, allow: bool) -> None:
    conn = await asyncpg.connect(host=server.host, port=server.port, user=server.user, database="postgres")
    try:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
    finally:
        await conn.close()


async def test_engine_rides_out_a_postgres_outage_and_finishes_the_job_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    name = f"o_{uuid.uuid4().hex[:12]}"
    url = await fresh_database(postgres_server, name)
    store = await open_store(url)
    try:
        [job_id] = await submit(store, 1, steps=STEPS)
    finally:
        await store.close()
    store = await open_store(url, migrate=False)
    try:
        with engines() as started:
            engine = Engine(url, tmp_path / "e.log", "--lease-seconds", "2", "--worker-id", "E")
            started.append(engine)

            async def running() -> Job | None:
                job = await store.get(job_id)
                return job if job.state is JobState.RUNNING and job.progress is not None else None

            await until(running, 90, "the job running with progress", engine)
            await _admit(postgres_server, name, False)
            try:
                await asyncio.sleep(4)  # twice the lease; the job's computation ends meanwhile
                assert engine.proc.poll() is None, f"the engine died in the outage:\n{engine.tail()}"
            finally:
                await _admit(postgres_server, name, True)

            async def succeeded() -> Job | None:
                try:
                    job = await store.get(job_id)
                except Exception:  # our own pooled connections were terminated too
                    return None
                return job if job.state is JobState.SUCCEEDED else None

            done = await until(succeeded, 60, "the job to succeed after the outage", engine)
            engine.proc.send_signal(signal.SIGTERM)
            assert engine.wait(30) == 0, engine.tail()
    finally:
        await store.close()
    await assert_result_intact(store_for_blobs := await open_store(url, migrate=False), done, steps=STEPS)
    await store_for_blobs.close()
    assert (done.attempts, done.lease_owner) == (1, "E"), "the job ran once, by the engine that rode the outage"
    log = engine.log.read_text()
    assert "is unavailable" in log and "is back after" in log
    assert "Traceback" not in log, engine.tail()
