"""`stylebot db prune` and `stylebot db backup` as real processes on an SQLite database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import jobqueue
from tests.jobqueue.helpers import submit

ROOT = Path(__file__).resolve().parents[3]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STYLEBOT_DATA_DIR": str(cwd / "data")}
    env.pop("STYLEBOT_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "stylebot", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    store = await jobqueue.open_store(url, migrate=True)
    await store.close()
    return url


async def test_prune_deletes_finished_jobs_images_and_keeps_queued_ones(sqlite_url: str, tmp_path: Path) -> None:
    store = await jobqueue.open_store(sqlite_url, migrate=False)
    try:
        await submit(store, user_id=1)
        (claimed,) = await store.claim("w1", lease_seconds=30)
        done = await store.complete(claimed, result=b"\x89PNG result", meta={})
        queued = await submit(store, user_id=2)
        orphan = await store.put_blob(b"\x89PNG orphan")
        born = datetime.now(UTC) - timedelta(hours=1)  # an interaction token Discord no longer accepts
        target = jobqueue.DeliveryTarget(jobqueue.TargetKind.INTERACTION, 1, 2, "token", born, channel_id=3)
        waiting = await submit(store, user_id=2, target=target)
    finally:
        await store.close()

    kept = _cli("db", "prune", "--db", sqlite_url, cwd=tmp_path)  # default age: 14 days, all of it is newer
    assert kept.returncode == 0, kept.stderr
    assert "pruned 0 stored images/results older than 14 days" in kept.stdout
    assert "dropped 1 interaction tokens older than 15 minutes" in kept.stdout

    proc = _cli("db", "prune", "--older-than", "0", "--db", sqlite_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pruned 3 stored images/results older than 0 days" in proc.stdout  # content, result, orphan

    store = await jobqueue.open_store(sqlite_url, migrate=False)
    try:
        for sha in (done.content_sha, done.result_sha, orphan):
            with pytest.raises(jobqueue.BlobNotFound):
                await store.get_blob(sha)
        assert await store.get_blob(queued.content_sha)
        assert await store.get_blob(queued.style_shas[0])  # shared with the finished job, still needed
        assert (await store.get(done.id)).state == jobqueue.JobState.SUCCEEDED  # the job's row stays
        assert (await store.get(waiting.id)).target.interaction_token is None
    finally:
        await store.close()


async def test_prune_keeps_the_images_of_open_challenges(sqlite_url: str, tmp_path: Path) -> None:
    """The CLI opens its store with the challenges' kept references: an open challenge's style survives pruning."""
    store = await jobqueue.open_store(sqlite_url, migrate=False)
    try:
        style = await store.put_blob(b"\x89PNG challenge style")
        orphan = await store.put_blob(b"\x89PNG orphan")
        now = datetime.now(UTC)
        await jobqueue.SqlChallengeStore(store).create(
            jobqueue.NewChallenge(
                guild_id=1,
                channel_id=2,
                organiser_id=3,
                title="Night",
                description="",
                style_sha=style,
                params={},
                submissions_close_at=now + timedelta(hours=1),
                voting_close_at=now + timedelta(hours=2),
            )
        )
    finally:
        await store.close()

    proc = _cli("db", "prune", "--older-than", "0", "--db", sqlite_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pruned 1 stored images/results older than 0 days" in proc.stdout  # the orphan only

    store = await jobqueue.open_store(sqlite_url, migrate=False)
    try:
        assert await store.get_blob(style)
        with pytest.raises(jobqueue.BlobNotFound):
            await store.get_blob(orphan)
    finally:
        await store.close()


def test_prune_refuses_a_negative_age_and_a_missing_database(tmp_path: Path) -> None:
    proc = _cli("db", "prune", "--older-than", "-2", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: argument --older-than: '-2' must be 0 or more days"
    missing = _cli("db", "prune", "--db", f"sqlite+aiosqlite:///{tmp_path / 'nope.db'}", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such database file" in missing.stderr and "Traceback" not in missing.stderr


async def test_backup_copies_a_database_that_is_open_elsewhere(sqlite_url: str, tmp_path: Path) -> None:
    store = await jobqueue.open_store(sqlite_url, migrate=False)
    try:
        job = await submit(store, user_id=3)
        target = tmp_path / "backup.db"
        proc = _cli("db", "backup", str(target), "--db", sqlite_url, cwd=tmp_path)  # while our store is open
        assert proc.returncode == 0, proc.stderr
        assert f"to {target}" in proc.stdout
        again = _cli("db", "backup", str(target), "--db", sqlite_url, cwd=tmp_path)
        assert again.returncode == 2 and "exists (use --force to overwrite)" in again.stderr
    finally:
        await store.close()
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy = await jobqueue.open_store(f"sqlite+aiosqlite:///{target}", migrate=False)
    try:
        assert (await copy.get(job.id)).content_sha == job.content_sha
        assert await copy.get_blob(job.content_sha)
    finally:
        await copy.close()


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
def test_backup_is_owner_only_whatever_the_umask(sqlite_url: str, tmp_path: Path, umask: int) -> None:
    target = tmp_path / "backup.db"
    target.write_bytes(b"")
    target.chmod(0o666)  # an older, world-readable backup overwritten with --force
    old = os.umask(umask)  # the child inherits it
    try:
        fresh = _cli("db", "backup", str(tmp_path / "new.db"), "--db", sqlite_url, cwd=tmp_path)
        forced = _cli("db", "backup", str(target), "--force", "--db", sqlite_url, cwd=tmp_path)
    finally:
        os.umask(old)
    assert fresh.returncode == forced.returncode == 0, fresh.stderr + forced.stderr
    assert {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "new.db", target)} == {
        "new.db": 0o600,
        "backup.db": 0o600,
    }


def test_backup_of_postgres_points_at_pg_dump_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://stylebot:s3cret@db.example:5432/stylebot"
    proc = _cli("db", "backup", str(tmp_path / "b.db"), "--db", url, cwd=tmp_path)
    assert proc.returncode == 2
    assert "pg_dump" in proc.stderr and "s3cret" not in proc.stderr
