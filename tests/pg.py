"""A throwaway PostgreSQL cluster for the test suite (session-scoped fixture `postgres_server` in tests/conftest.py).

`initdb` into a temp dir as the `postgres` OS user when running as root (created if absent; the server refuses to run
as root), start it on a free 127.0.0.1 port with its unix socket in the same temp dir, hand out asyncpg URLs, stop it
at the end. The temp dir is on tmpfs (/dev/shm) where that has room: creating, dropping and deleting databases there
costs no disk writes. Every test gets its own database (`fresh_database`), dropped when the test ends
(`drop_created_databases`, an autouse fixture in tests/conftest.py), so the data dir never holds more than a few and
the session's teardown has little to delete (it was 35 s for the hundreds of databases of a whole run).
Where the server binaries are missing the tests that need it SKIP with the reason, unless STYLEBOT_REQUIRE_POSTGRES=1
(CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "drop_created_databases", "fresh_database", "postgres_bin_dir", "start_postgres"]

TMPFS = Path("/dev/shm")
TMPFS_MIN_FREE = 1 << 30  # bytes; a few live databases and the WAL (max_wal_size below) fit in far less


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{dbname}"


def postgres_bin_dir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _temp_root() -> Path:
    """A fresh temp dir for the cluster: on tmpfs when it is there, writable and roomy enough, else the default."""
    base = None
    try:
        if TMPFS.is_dir() and os.access(TMPFS, os.W_OK) and shutil.disk_usage(TMPFS).free >= TMPFS_MIN_FREE:
            base = TMPFS
    except OSError:
        base = None
    return Path(tempfile.mkdtemp(prefix="stylebot-pg-", dir=base))


def _as_pg_user() -> tuple[list[str], str | None]:
    if os.geteuid() != 0:
        return [], None
    if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "postgres"], check=True)
    return ["runuser", "-u", "postgres", "--"], "postgres"


def start_postgres() -> Iterator[PostgresServer]:
    """Generator: yields a running server, stops it and deletes its files when resumed/closed."""
    bindir = postgres_bin_dir()
    if bindir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found"
        if os.environ.get("STYLEBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}, and STYLEBOT_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(reason)
    prefix, owner = _as_pg_user()
    root = _temp_root()
    root.chmod(0o755)
    data, sock, log = root / "data", root / "sock", root / "server.log"
    data.mkdir(mode=0o700)
    sock.mkdir()
    log.touch()
    if owner:
        for path in (data, sock, log):
            shutil.chown(path, owner)
    port = _free_port()
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c max_connections=200 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=256MB"
    )
    started = subprocess.run([*pg_ctl, "-l", str(log), "-w", "-t", "60", "-o", opts, "start"], capture_output=True)
    if started.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {started.stderr.decode()[-500:]}", pytrace=False)
    try:
        yield PostgresServer("127.0.0.1", port)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


_created: list[tuple[PostgresServer, str]] = []  # by `fresh_database`, not yet dropped


async def fresh_database(server: PostgresServer, name: str) -> str:
    """Create an empty database `name` on `server`; return its asyncpg SQLAlchemy URL. Dropped when the test ends."""
    import asyncpg

    conn = await asyncpg.connect(host=server.host, port=server.port, user=server.user, database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    _created.append((server, name))
    return server.url(name)


def drop_created_databases() -> None:
    """Drop every database `fresh_database` created so far (closing any connections still open to them)."""
    if not _created:
        return
    created = list(_created)
    _created.clear()

    async def drop() -> None:
        import asyncpg

        for server, name in created:
            conn = await asyncpg.connect(host=server.host, port=server.port, user=server.user, database="postgres")
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

    with ThreadPoolExecutor(1) as pool:  # a thread of its own: works whether or not this one runs an event loop
        pool.submit(asyncio.run, drop()).result(timeout=60)
