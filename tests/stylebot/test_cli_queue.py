"""`stylebot db …` and `stylebot queue …` against a real SQLite file (in-process `main()`, one real subprocess)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import jobqueue
from stylebot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, Path]:
    content, style = tmp_path / "content.png", tmp_path / "style.jpg"
    Image.new("RGB", (48, 32), (200, 30, 30)).save(content)
    Image.new("RGB", (32, 32), (20, 30, 220)).save(style)
    return content, style


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    return ["--db", f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_submit_show_and_list(capsys: pytest.CaptureFixture[str], images: tuple[Path, Path], db: list[str]) -> None:
    code, out, _ = _run(capsys, "queue", "submit", str(images[0]), str(images[1]), "--size", "64", "--user", "5", *db)
    assert code == 0
    job_id = int(out.strip())
    code, out, _ = _run(capsys, "queue", "show", str(job_id), "--json", *db)
    shown = json.loads(out)
    assert code == 0 and shown["id"] == job_id and shown["state"] == "queued" and shown["attempts"] == 0
    assert shown["error"] is None and shown["progress"] is None and shown["position"] == 1
    assert shown["params"]["size"] == 64 and shown["user_id"] == 5
    _, out, _ = _run(capsys, "queue", "list", *db)
    assert f"{job_id}" in out and "queued" in out


def test_submit_stores_the_original_bytes(
    capsys: pytest.CaptureFixture[str], images: tuple[Path, Path], db: list[str]
) -> None:
    _, out, _ = _run(capsys, "queue", "submit", str(images[0]), str(images[1]), *db)

    async def content() -> bytes:
        store = await jobqueue.open_store(db[1])
        try:
            return await store.get_blob((await store.get(int(out))).content_sha)
        finally:
            await store.close()

    assert asyncio.run(content()) == images[0].read_bytes()


def test_admin_commands(capsys: pytest.CaptureFixture[str], images: tuple[Path, Path], db: list[str]) -> None:
    _, out, _ = _run(capsys, "queue", "submit", str(images[0]), str(images[1]), "--user", "7", *db)
    job_id = out.strip()
    assert _run(capsys, "queue", "pause", *db)[0] == 0
    stats = json.loads(_run(capsys, "queue", "stats", "--json", *db)[1])
    assert stats["paused"] is True and stats["counts"]["queued"] == 1
    assert _run(capsys, "queue", "resume", *db)[0] == 0
    assert "cancelled" in _run(capsys, "queue", "cancel", job_id, *db)[1]
    assert "queued again" in _run(capsys, "queue", "retry", job_id, *db)[1]
    assert "cancelled 1" in _run(capsys, "queue", "purge", "--user", "7", *db)[1]
    assert "queued 0" in _run(capsys, "queue", "stats", *db)[1]


def test_result_writes_the_finished_image(
    capsys: pytest.CaptureFixture[str], images: tuple[Path, Path], db: list[str], tmp_path: Path
) -> None:
    _, out, _ = _run(capsys, "queue", "submit", str(images[0]), str(images[1]), *db)

    async def finish() -> None:
        store = await jobqueue.open_store(db[1])
        try:
            [job] = await store.claim("w", lease_seconds=30)
            await store.complete(job, result=b"result-png", meta={})
        finally:
            await store.close()

    code, _, err = _run(capsys, "queue", "result", out.strip(), "-o", str(tmp_path / "out.png"), *db)
    assert code == 2 and "has no result" in err
    asyncio.run(finish())
    assert _run(capsys, "queue", "result", out.strip(), "-o", str(tmp_path / "out.png"), *db)[0] == 0
    assert (tmp_path / "out.png").read_bytes() == b"result-png"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["queue", "show", "999"], "job 999 not found"),
        (["queue", "cancel", "999"], "job 999 not found"),
        (["queue", "submit", "missing.png", "missing2.png"], "cannot read missing.png: No such file or directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], db: list[str], argv: list[str], message: str
) -> None:
    assert main(["db", "upgrade", *db]) == 0
    capsys.readouterr()
    code, _, err = _run(capsys, *argv, *db)
    assert code == 2 and err.strip() == f"error: {message}"


def test_not_an_image_is_rejected(capsys: pytest.CaptureFixture[str], db: list[str], tmp_path: Path) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("hello")
    code, _, err = _run(capsys, "queue", "submit", str(bogus), str(bogus), *db)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_missing_database_is_an_error_not_a_new_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nope.db'}"
    code, _, err = _run(capsys, "queue", "list", "--db", url)
    assert code == 2 and "no such database file" in err and not (tmp_path / "nope.db").exists()


def test_db_backup_copies_a_live_database(capsys: pytest.CaptureFixture[str], db: list[str], tmp_path: Path) -> None:
    assert main(["db", "upgrade", *db]) == 0
    assert main(["queue", "pause", *db]) == 0
    backup = tmp_path / "backup.db"
    assert _run(capsys, "db", "backup", str(backup), *db)[0] == 0
    assert _run(capsys, "queue", "stats", "--json", "--db", f"sqlite+aiosqlite:///{backup}")[1].count('"paused": true')
    code, _, err = _run(capsys, "db", "backup", str(backup), *db)
    assert code == 2 and "exists" in err
    code, _, err = _run(capsys, "db", "backup", str(backup), "--db", "postgresql+asyncpg://u:pw@h/x")
    assert code == 2 and "pg_dump" in err and "pw" not in err


def test_unreachable_postgres_is_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "stylebot", "queue", "stats", "--db", "postgresql+asyncpg://u:secret@127.0.0.1:1/x"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: database postgresql+asyncpg://u:***@127.0.0.1:1/x is unavailable")
    assert "secret" not in proc.stderr
